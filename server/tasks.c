/*
 * tasks.c - (being written)
 */
#include "server/server.h"

const sv_route sv_routes_tasks[] = {
    {NULL, NULL, NULL, 0},
};
