/*
 * external.c - (being written)
 */
#include "server/server.h"

const sv_route sv_routes_external[] = {
    {NULL, NULL, NULL, 0},
};
