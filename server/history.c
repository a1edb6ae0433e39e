/*
 * history.c - (being written)
 */
#include "server/server.h"

const sv_route sv_routes_history[] = {
    {NULL, NULL, NULL, 0},
};
