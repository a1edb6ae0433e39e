/*
 * variables.c - the one place Camunda's typed variables meet the engine's plain JSON values.
 *
 * In: {"value":..,"type":..,"valueInfo":{..}} with the types String, Boolean, Short, Integer,
 * Long, Double, Date, Json, Object (JSON serialization only) and Null; a missing type is taken
 * from the value, as Camunda does. Numbers and booleans given as text are converted as Camunda
 * converts them; anything that does not fit its type is a 400 naming the variable.
 * Out: the type is read from the value: null Null, true/false Boolean, whole numbers Integer
 * (32-bit range) or Long, other numbers Double, text String, text in the engine's date form
 * (2026-01-01T09:00:00.000Z, which is how a Date is stored) Date, objects and arrays Json (the
 * value as JSON text, as Camunda's Json type carries it). docs/server.md states where this
 * differs from Camunda (a Short or a Double with a whole value reads back as Integer).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

#define MAX_SAFE 9007199254740992.0 /* 2^53: the whole numbers a JSON number holds exactly */

static const char *type_of(const cJSON *typed, char *buf, size_t cap)
{
    const cJSON *t = cJSON_GetObjectItem(typed, "type");
    if (!cJSON_IsString(t) || !t->valuestring[0])
        return NULL;
    /* Camunda accepts the type's name in any case ("string", "STRING"). */
    snprintf(buf, cap, "%s", t->valuestring);
    buf[0] = (char)toupper((unsigned char)buf[0]);
    for (size_t i = 1; buf[i]; i++)
        buf[i] = (char)tolower((unsigned char)buf[i]);
    return buf;
}

/* A number from a JSON number or a numeric text; 0 when it is neither. */
static int number_of(const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return 1;
    }
    if (cJSON_IsString(v) && v->valuestring[0]) {
        char *end;
        errno = 0;
        double d = strtod(v->valuestring, &end);
        if (!*end && !errno && isfinite(d)) {
            *out = d;
            return 1;
        }
    }
    return 0;
}

/* Camunda's date form yyyy-MM-dd'T'HH:mm:ss[.SSS] with Z, +HHMM or +HH:MM (none: UTC), into
 * the engine's "2026-01-01T09:00:00.000Z". */
static int date_in(const char *s, char *out, size_t cap)
{
    int y, mo, d, h, mi, sec, ms = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
        return -1;
    const char *p = s + n;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        while (digits > 0 && digits < 3)
            ms *= 10, digits++;
        if (!digits)
            return -1;
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 && p[3] == ':')
            p += 6;
        else if (sscanf(p + 1, "%2d%2d", &oh, &om) == 2 && isdigit((unsigned char)p[4]))
            p += 5;
        else
            return -1;
        off = sign * (oh * 60 + om);
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    /* Days from civil (proleptic Gregorian), then back, to apply the offset. */
    long long yy = y - (mo <= 2), era = (yy >= 0 ? yy : yy - 399) / 400;
    long long yoe = yy - era * 400, doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    long long t = ((days * 24 + h) * 60 + mi - off) * 60 + sec;
    long long z = (t >= 0 ? t : t - 86399) / 86400, secs = t - z * 86400;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097, yoe2 = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy2 = doe - (365 * yoe2 + yoe2 / 4 - yoe2 / 100), mp = (5 * doy2 + 2) / 153;
    int dd = (int)(doy2 - (153 * mp + 2) / 5 + 1), mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    long long y2 = yoe2 + era * 400 + (mm <= 2);
    snprintf(out, cap, "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%03dZ", y2, mm, dd, secs / 3600,
             secs / 60 % 60, secs % 60, ms);
    return 0;
}

static int is_engine_date(const char *s)
{
    /* exactly 2026-01-01T09:00:00.000Z */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (strlen(s) != sizeof shape - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return 0;
    return 1;
}

static cJSON *bad(sv_answer *a, const char *name, const char *type, const char *why)
{
    sv_error(a, 400, "InvalidRequestException",
             "Cannot convert value of variable '%s' to type %s: %s", name, type, why);
    return NULL;
}

cJSON *sv_value_in(const char *name, const cJSON *typed, sv_answer *a)
{
    if (!cJSON_IsObject(typed))
        return bad(a, name, "(any)", "a variable is an object {\"value\",\"type\",\"valueInfo\"}");
    const cJSON *v = cJSON_GetObjectItem(typed, "value");
    char tb[32];
    const char *type = type_of(typed, tb, sizeof tb);
    if (!type) /* untyped: the JSON value as it is */
        return v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
    if (!v || cJSON_IsNull(v))
        return cJSON_CreateNull(); /* any type may be null */
    double d;
    if (strcmp(type, "String") == 0) {
        if (!cJSON_IsString(v))
            return bad(a, name, type, "the value is not text");
        return cJSON_CreateString(v->valuestring);
    }
    if (strcmp(type, "Boolean") == 0) {
        if (cJSON_IsBool(v))
            return cJSON_CreateBool(cJSON_IsTrue(v));
        if (cJSON_IsString(v) && (!strcmp(v->valuestring, "true") || !strcmp(v->valuestring, "false")))
            return cJSON_CreateBool(v->valuestring[0] == 't');
        return bad(a, name, type, "the value is not true or false");
    }
    if (!strcmp(type, "Integer") || !strcmp(type, "Short") || !strcmp(type, "Long")) {
        double lim = type[0] == 'S' ? 32767 : type[0] == 'I' ? 2147483647.0 : MAX_SAFE;
        if (!number_of(v, &d) || d != floor(d))
            return bad(a, name, type, "the value is not a whole number");
        if (d > lim || d < -lim - 1)
            return bad(a, name, type, "the value is out of range");
        return cJSON_CreateNumber(d);
    }
    if (strcmp(type, "Double") == 0) {
        if (!number_of(v, &d))
            return bad(a, name, type, "the value is not a number");
        return cJSON_CreateNumber(d);
    }
    if (strcmp(type, "Date") == 0) {
        char iso[64];
        if (!cJSON_IsString(v) || date_in(v->valuestring, iso, sizeof iso) != 0)
            return bad(a, name, type, "the value is not a date like 2026-01-01T09:00:00.000+0100");
        return cJSON_CreateString(iso);
    }
    if (strcmp(type, "Null") == 0)
        return cJSON_CreateNull();
    if (strcmp(type, "Json") == 0 || strcmp(type, "Object") == 0) {
        if (type[0] == 'O') {
            const cJSON *info = cJSON_GetObjectItem(typed, "valueInfo");
            const cJSON *fmt = cJSON_GetObjectItem(info, "serializationDataFormat");
            if (cJSON_IsString(fmt) && strcmp(fmt->valuestring, "application/json") != 0)
                return bad(a, name, type,
                           "only the application/json serialization is supported (bpmnrt runs "
                           "no Java)");
        }
        if (!cJSON_IsString(v))
            return cJSON_Duplicate(v, 1);
        cJSON *j = cJSON_Parse(v->valuestring);
        if (!j)
            return bad(a, name, type, "the value is not JSON text");
        return j;
    }
    return bad(a, name, type,
               "bpmnrt supports String, Boolean, Short, Integer, Long, Double, Date, Json, Object "
               "(JSON) and Null");
}

cJSON *sv_vars_in(const cJSON *typed, sv_answer *a)
{
    cJSON *out = cJSON_CreateObject();
    if (!out)
        return NULL;
    if (!typed || cJSON_IsNull(typed))
        return out;
    if (!cJSON_IsObject(typed)) {
        cJSON_Delete(out);
        sv_error(a, 400, "InvalidRequestException", "variables must be a JSON object");
        return NULL;
    }
    for (const cJSON *c = typed->child; c; c = c->next) {
        cJSON *v = sv_value_in(c->string, c, a);
        if (!v) {
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToObject(out, c->string, v);
    }
    return out;
}

cJSON *sv_value_out(const cJSON *v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    const char *type;
    if (!v || cJSON_IsNull(v)) {
        type = "Null";
        cJSON_AddNullToObject(o, "value");
    } else if (cJSON_IsBool(v)) {
        type = "Boolean";
        cJSON_AddBoolToObject(o, "value", cJSON_IsTrue(v));
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        type = d == floor(d) && fabs(d) <= 2147483647.0 ? "Integer"
               : d == floor(d) && fabs(d) <= MAX_SAFE ? "Long"
                                                      : "Double";
        cJSON_AddNumberToObject(o, "value", d);
    } else if (cJSON_IsString(v)) {
        if (is_engine_date(v->valuestring)) {
            type = "Date";
            cJSON_AddItemToObject(o, "value", sv_time_out(v->valuestring));
        } else {
            type = "String";
            cJSON_AddStringToObject(o, "value", v->valuestring);
        }
    } else {
        type = "Json";
        char *text = cJSON_PrintUnformatted(v);
        cJSON_AddStringToObject(o, "value", text ? text : "null");
        cJSON_free(text);
    }
    cJSON_AddStringToObject(o, "type", type);
    cJSON_AddItemToObject(o, "valueInfo", cJSON_CreateObject());
    return o;
}

static int listed(const char *names, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = names; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && memcmp(p, name, n) == 0)
            return 1;
        p += l + (e != NULL);
    }
    return 0;
}

cJSON *sv_vars_out(const cJSON *plain, const char *names)
{
    cJSON *o = cJSON_CreateObject();
    for (const cJSON *c = plain ? plain->child : NULL; o && c; c = c->next)
        if (c->string && (!names || listed(names, c->string)))
            cJSON_AddItemToObject(o, c->string, sv_value_out(c));
    return o;
}
