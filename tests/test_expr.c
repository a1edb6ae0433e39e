/*
 * test_expr.c - expressions: FEEL and JUEL compile once and evaluate against variables to the
 * documented JSON, with errors that name the problem (and, at compile time, the column).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr.h"
#include "test_util.h"

/* 2026-03-15T10:30:00Z, a Sunday */
#define NOW_MS 1773570600000LL

static const cJSON *lookup_json(void *ud, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive((const cJSON *)ud, name);
}

/* Compiles and evaluates src; returns the result as unformatted JSON text or "error: <msg>",
 * in a static buffer (tests are single-threaded). */
static const char *run(ex_mode mode, const char *src, const char *vars_json)
{
    static char out[1024];
    char err[256] = "";
    cJSON *vars = cJSON_Parse(vars_json ? vars_json : "{}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(vars);
    ex_expr *e = NULL;
    int rc = ex_compile(src, mode, NULL, &e, err, sizeof err);
    if (rc != BPMN_OK) {
        CU_ASSERT_PTR_NULL(e);
        CU_ASSERT_EQUAL(rc, BPMN_EINVAL);
        snprintf(out, sizeof out, "compile error: %s", err);
        cJSON_Delete(vars);
        return out;
    }
    ex_env env = {lookup_json, vars, NOW_MS};
    cJSON *res = NULL;
    rc = ex_eval(e, &env, &res, err, sizeof err);
    if (rc != BPMN_OK) {
        CU_ASSERT_EQUAL(rc, BPMN_EINVAL);
        CU_ASSERT_PTR_NULL(res);
        snprintf(out, sizeof out, "error: %s", err);
    } else {
        char *s = cJSON_PrintUnformatted(res);
        snprintf(out, sizeof out, "%s", s ? s : "(print failed)");
        free(s);
        cJSON_Delete(res);
    }
    ex_free(e);
    cJSON_Delete(vars);
    return out;
}

#define CHECK_MODE(mode, src, vars, expected)                                            \
    do {                                                                                 \
        const char *got_ = run((mode), (src), (vars));                                   \
        if (strcmp(got_, (expected)) != 0)                                               \
            fprintf(stderr, "\n  %s:%d: %s\n    expected %s\n    got      %s\n", __FILE__, \
                    __LINE__, (src), (expected), got_);                                  \
        CU_ASSERT_STRING_EQUAL(got_, (expected));                                        \
    } while (0)

#define FEEL(src, vars, expected) CHECK_MODE(EX_MODE_EXPRESSION, src, vars, expected)
#define VALUE(src, vars, expected) CHECK_MODE(EX_MODE_VALUE, src, vars, expected)

/* Asserts that the output starts with prefix (error messages carry details after it). */
#define STARTS(mode, src, vars, prefix)                                                  \
    do {                                                                                 \
        const char *got_ = run((mode), (src), (vars));                                   \
        if (strncmp(got_, (prefix), strlen(prefix)) != 0)                                \
            fprintf(stderr, "\n  %s:%d: %s\n    expected %s...\n    got      %s\n",      \
                    __FILE__, __LINE__, (src), (prefix), got_);                          \
        CU_ASSERT(strncmp(got_, (prefix), strlen(prefix)) == 0);                         \
    } while (0)

static void test_feel_literals_evaluate_to_json(void)
{
    FEEL("42", NULL, "42");
    FEEL("-3.25", NULL, "-3.25");
    FEEL(".5", NULL, "0.5");
    FEEL("\"a \\\"quoted\\\" \\u00e9 \\n\"", NULL, "\"a \\\"quoted\\\" é \\n\"");
    FEEL("\"\\ud83d\\ude00\"", NULL, "\"\xF0\x9F\x98\x80\"");
    FEEL("true", NULL, "true");
    FEEL("false", NULL, "false");
    FEEL("null", NULL, "null");
}

static void test_feel_arithmetic_follows_precedence(void)
{
    FEEL("1 + 2 * 3", NULL, "7");
    FEEL("(1 + 2) * 3", NULL, "9");
    FEEL("10 - 4 - 3", NULL, "3");
    FEEL("2 ** 10", NULL, "1024");
    FEEL("-2 ** 2", NULL, "-4");
    FEEL("2 ** 3 ** 2", NULL, "512");
    FEEL("7 / 2", NULL, "3.5");
    FEEL("- -5", NULL, "5");
    FEEL("0.1 + 0.2", NULL, "0.3");
    FEEL("0.1 + 0.2 = 0.3", NULL, "true");
    FEEL("1 + null", NULL, "null");
}

static void test_feel_comparisons_and_logic(void)
{
    FEEL("amount > 100", "{\"amount\":150}", "true");
    FEEL("amount <= 100", "{\"amount\":150}", "false");
    FEEL("amount = 150 and ok", "{\"amount\":150,\"ok\":true}", "true");
    FEEL("amount != 150 or ok", "{\"amount\":150,\"ok\":false}", "false");
    FEEL("\"abc\" < \"abd\"", NULL, "true");
    FEEL("x = null", "{\"x\":null}", "true");
    FEEL("1 = null", NULL, "false");
    FEEL("not(true)", NULL, "false");
    FEEL("not(1 > 2)", NULL, "true");
    FEEL("false and null", NULL, "false");
    FEEL("true or null", NULL, "true");
    FEEL("true and null", NULL, "null");
    FEEL("[1, 2] = [1, 2]", NULL, "true");
    FEEL("{a: 1} = {a: 1}", NULL, "true");
}

static void test_feel_and_stops_at_the_first_false(void)
{
    /* the right side would be an unknown variable: it is never reached */
    FEEL("false and missing", NULL, "false");
    FEEL("true or missing", NULL, "true");
}

static void test_variable_paths_read_nested_objects(void)
{
    const char *v = "{\"customer\":{\"tier\":\"gold\",\"address\":{\"city\":\"Oslo\"}},"
                    "\"items\":[{\"price\":5},{\"price\":20}]}";
    FEEL("customer.tier", v, "\"gold\"");
    FEEL("customer.address.city", v, "\"Oslo\"");
    FEEL("customer.nothing", v, "null");
    FEEL("items.price", v, "[5,20]");
    FEEL("customer", v, "{\"tier\":\"gold\",\"address\":{\"city\":\"Oslo\"}}");
}

static void test_if_then_else_picks_a_branch(void)
{
    FEEL("if amount > 100 then \"big\" else \"small\"", "{\"amount\":150}", "\"big\"");
    FEEL("if amount > 100 then \"big\" else \"small\"", "{\"amount\":50}", "\"small\"");
    FEEL("if null then 1 else 2", NULL, "2");
    FEEL("if a then 1 else if b then 2 else 3", "{\"a\":false,\"b\":true}", "2");
}

static void test_list_indexing_is_one_based_and_negative_from_the_end(void)
{
    FEEL("[10, 20, 30][1]", NULL, "10");
    FEEL("[10, 20, 30][3]", NULL, "30");
    FEEL("[10, 20, 30][-1]", NULL, "30");
    FEEL("[10, 20, 30][-3]", NULL, "10");
    FEEL("[10, 20, 30][4]", NULL, "null");
    FEEL("[10, 20, 30][0]", NULL, "null");
    FEEL("l[2]", "{\"l\":[\"a\",\"b\"]}", "\"b\"");
    FEEL("l[i]", "{\"l\":[\"a\",\"b\"],\"i\":1}", "\"a\"");
}

static void test_list_filters_keep_matching_items(void)
{
    FEEL("[1, 5, 10, 20][item > 4]", NULL, "[5,10,20]");
    FEEL("items[price > 10]", "{\"items\":[{\"price\":5},{\"price\":20}]}", "[{\"price\":20}]");
    FEEL("items[price > 10].price", "{\"items\":[{\"price\":5},{\"price\":20}]}", "[20]");
    FEEL("[][item > 1]", NULL, "[]");
}

static void test_contexts_build_objects(void)
{
    FEEL("{a: 1, \"b c\": \"x\"}", NULL, "{\"a\":1,\"b c\":\"x\"}");
    FEEL("{a: 1, b: a + 1}", NULL, "{\"a\":1,\"b\":2}");
    FEEL("{a: {b: [1, 2]}}.a.b[2]", NULL, "2");
    FEEL("{first name: \"Anna\"}", NULL, "{\"first name\":\"Anna\"}");
    STARTS(EX_MODE_EXPRESSION, "{a: 1, a: 2}", NULL,
           "compile error: syntax error: duplicate context key 'a'");
}

static void test_in_tests_lists_and_ranges(void)
{
    FEEL("x in [1, 2, 3]", "{\"x\":2}", "true");
    FEEL("x in [1, 2, 3]", "{\"x\":4}", "false");
    FEEL("x in [1..10]", "{\"x\":10}", "true");
    FEEL("x in [1..10)", "{\"x\":10}", "false");
    FEEL("x in (1..10]", "{\"x\":1}", "false");
    FEEL("x in ]1..10[", "{\"x\":5}", "true");
    FEEL("x in [1..10[", "{\"x\":10}", "false");
    FEEL("x in [[1..3], [7..9]]", "{\"x\":8}", "true");
    FEEL("\"b\" in [\"a\"..\"c\"]", NULL, "true");
    FEEL("x in [1, \"two\"]", "{\"x\":\"two\"}", "true");
    FEEL("5 in 5", NULL, "true");
}

static void test_between_includes_both_ends(void)
{
    FEEL("x between 1 and 10", "{\"x\":1}", "true");
    FEEL("x between 1 and 10", "{\"x\":10}", "true");
    FEEL("x between 1 and 10 and y", "{\"x\":11,\"y\":true}", "false");
}

static void test_string_concatenation_with_plus(void)
{
    FEEL("\"Hello \" + name + \"!\"", "{\"name\":\"Anna\"}", "\"Hello Anna!\"");
}

static void test_string_functions(void)
{
    FEEL("string length(\"h\xC3\xA9llo\")", NULL, "5");
    FEEL("upper case(\"abc\")", NULL, "\"ABC\"");
    FEEL("lower case(\"ABC\")", NULL, "\"abc\"");
    FEEL("substring(\"foobar\", 3)", NULL, "\"obar\"");
    FEEL("substring(\"foobar\", 3, 3)", NULL, "\"oba\"");
    FEEL("substring(\"foobar\", -2, 1)", NULL, "\"a\"");
    FEEL("substring(\"h\xC3\xA9llo\", 2, 2)", NULL, "\"\xC3\xA9l\"");
    FEEL("contains(\"foobar\", \"ob\")", NULL, "true");
    FEEL("starts with(\"foobar\", \"foo\")", NULL, "true");
    FEEL("ends with(\"foobar\", \"foo\")", NULL, "false");
    FEEL("substring before(\"foobar\", \"bar\")", NULL, "\"foo\"");
    FEEL("substring after(\"foobar\", \"ob\")", NULL, "\"ar\"");
    FEEL("string(1.5)", NULL, "\"1.5\"");
    FEEL("string(3)", NULL, "\"3\"");
    FEEL("string(true)", NULL, "\"true\"");
    FEEL("number(\"12.5\") + 1", NULL, "13.5");
    FEEL("string join([\"a\", \"b\", null, \"c\"], \", \")", NULL, "\"a, b, c\"");
    FEEL("upper   case(\"x\")", NULL, "\"X\"");
    STARTS(EX_MODE_EXPRESSION, "number(\"abc\")", NULL,
           "error: number(): \"abc\" is not a number");
    /* long texts are read whole (and quoted shortened) */
    FEEL("number(\"10000000000000000000000000000000000000000000000000000000000000000000000\") "
         "= 1e70", NULL, "true");
    STARTS(EX_MODE_EXPRESSION,
           "number(\"10000000000000000000000000000000000000000000000000000000000000000000000x\")",
           NULL, "error: number(): \"1000000000000000000000000000000000000000\" is not");
}

static void test_number_functions(void)
{
    FEEL("abs(-3)", NULL, "3");
    FEEL("floor(1.7)", NULL, "1");
    FEEL("floor(-1.5)", NULL, "-2");
    FEEL("ceiling(1.2)", NULL, "2");
    FEEL("decimal(1/3, 2)", NULL, "0.33");
    FEEL("decimal(2.5, 0)", NULL, "2");
    FEEL("decimal(3.5, 0)", NULL, "4");
    FEEL("decimal(2.675, 2)", NULL, "2.68");
    FEEL("round half up(2.5, 0)", NULL, "3");
    FEEL("round half up(-2.5, 0)", NULL, "-3");
    FEEL("round down(2.59, 1)", NULL, "2.5");
    FEEL("round up(2.51, 1)", NULL, "2.6");
    FEEL("modulo(-7, 3)", NULL, "2");
    FEEL("odd(3) and even(4)", NULL, "true");
}

static void test_list_functions(void)
{
    FEEL("min([3, 1, 2])", NULL, "1");
    FEEL("max(3, 1, 2)", NULL, "3");
    FEEL("sum([1, 2, 3.5])", NULL, "6.5");
    FEEL("mean([1, 2, 3])", NULL, "2");
    FEEL("count([1, 2, 3])", NULL, "3");
    FEEL("count(l)", "{\"l\":[1,2,3,4]}", "4");
    FEEL("list contains([1, 2, 3], 2)", NULL, "true");
    FEEL("list contains([1, 2, 3], \"2\")", NULL, "false");
    FEEL("append([1], 2, 3)", NULL, "[1,2,3]");
    FEEL("concatenate([1], [2, 3])", NULL, "[1,2,3]");
    FEEL("reverse([1, 2, 3])", NULL, "[3,2,1]");
    FEEL("index of([1, 2, 1], 1)", NULL, "[1,3]");
    FEEL("distinct values([1, 2, 1])", NULL, "[1,2]");
    FEEL("flatten([1, [2, [3]]])", NULL, "[1,2,3]");
    FEEL("sublist([1, 2, 3, 4], 2, 2)", NULL, "[2,3]");
    FEEL("all([true, true])", NULL, "true");
    FEEL("any([false, true])", NULL, "true");
    FEEL("max([])", NULL, "null");
    FEEL("get value({a: 1}, \"a\")", NULL, "1");
}

static void test_for_some_every_iterate_lists_and_ranges(void)
{
    FEEL("for x in [1, 2, 3] return x * 2", NULL, "[2,4,6]");
    FEEL("for i in 1..3 return i", NULL, "[1,2,3]");
    FEEL("some x in [1, 5] satisfies x > 4", NULL, "true");
    FEEL("every x in [1, 5] satisfies x > 4", NULL, "false");
    FEEL("sum([1..100])", NULL, "5050");
}

static void test_is_defined_tells_missing_from_null(void)
{
    FEEL("is defined(x)", "{\"x\":null}", "true");
    FEEL("is defined(y)", "{\"x\":null}", "false");
    FEEL("is defined(x.a)", "{\"x\":{\"a\":1}}", "true");
    FEEL("is defined(x.b)", "{\"x\":{\"a\":1}}", "false");
}

static void test_dates_times_and_durations_come_back_as_iso_strings(void)
{
    FEEL("date(\"2026-01-01\")", NULL, "\"2026-01-01\"");
    FEEL("date(2026, 2, 28)", NULL, "\"2026-02-28\"");
    FEEL("date and time(\"2026-01-01T09:00:00Z\")", NULL, "\"2026-01-01T09:00:00Z\"");
    FEEL("date and time(\"2026-01-01T09:00:00+02:00\")", NULL, "\"2026-01-01T07:00:00Z\"");
    FEEL("date and time(\"2026-01-01T09:00:00.250Z\")", NULL, "\"2026-01-01T09:00:00.250Z\"");
    FEEL("duration(\"PT1H\")", NULL, "\"PT1H\"");
    FEEL("duration(\"P1M\")", NULL, "\"P1M\"");
    FEEL("duration(\"P14M\")", NULL, "\"P1Y2M\"");
    FEEL("duration(\"PT90M\")", NULL, "\"PT1H30M\"");
    FEEL("duration(\"P2W\")", NULL, "\"P14D\"");
    FEEL("duration(\"-PT1.5S\")", NULL, "\"-PT1.5S\"");
    FEEL("@\"2026-01-01T09:00:00Z\"", NULL, "\"2026-01-01T09:00:00Z\"");
    FEEL("@\"2026-01-01\"", NULL, "\"2026-01-01\"");
    FEEL("@\"P1D\"", NULL, "\"P1D\"");
    FEEL("now()", NULL, "\"2026-03-15T10:30:00Z\"");
    FEEL("today()", NULL, "\"2026-03-15\"");
    FEEL("day of week(today())", NULL, "\"Sunday\"");
    FEEL("month of year(today())", NULL, "\"March\"");
    FEEL("@\"2026-01-02T03:04:05Z\".hour", NULL, "3");
    FEEL("date(\"2026-05-17\").month", NULL, "5");
    STARTS(EX_MODE_EXPRESSION, "date(\"2026-02-30\")", NULL, "error: date(): \"2026-02-30\"");
    STARTS(EX_MODE_EXPRESSION, "@\"yesterday\"", NULL,
           "compile error: syntax error: not a date, date and time or duration");
}

static void test_temporal_arithmetic(void)
{
    FEEL("@\"2026-01-01T09:00:00Z\" + @\"PT1H\"", NULL, "\"2026-01-01T10:00:00Z\"");
    FEEL("@\"2026-01-01T09:00:00Z\" - @\"P1D\"", NULL, "\"2025-12-31T09:00:00Z\"");
    FEEL("@\"2026-01-02T10:30:00Z\" - @\"2026-01-01T09:00:00Z\"", NULL, "\"P1DT1H30M\"");
    FEEL("@\"2026-03-01\" - @\"2026-02-01\"", NULL, "\"P28D\"");
    FEEL("@\"2026-01-01\" + @\"P10D\"", NULL, "\"2026-01-11\"");
    FEEL("@\"PT1H\" * 3", NULL, "\"PT3H\"");
    FEEL("@\"PT3H\" / @\"PT1H\"", NULL, "3");
    FEEL("@\"P1Y\" + @\"P2M\"", NULL, "\"P1Y2M\"");
    FEEL("@\"2026-01-01T09:00:00Z\" < @\"2026-01-01T10:00:00Z\"", NULL, "true");
    FEEL("@\"PT2H\" > @\"PT90M\"", NULL, "true");
    FEEL("@\"P1Y\" = @\"P12M\"", NULL, "true");
    FEEL("now() - @\"PT30M\"", NULL, "\"2026-03-15T10:00:00Z\"");
    FEEL("date and time(due) < now()", "{\"due\":\"2026-03-01T00:00:00Z\"}", "true");
    FEEL("years and months duration(@\"2025-01-15\", @\"2026-03-14\")", NULL, "\"P1Y1M\"");
    STARTS(EX_MODE_EXPRESSION, "@\"PT1H\" < @\"P1M\"", NULL,
           "error: cannot compare days and time duration with years and months duration");
}

static void test_adding_a_month_lands_on_the_same_day_or_the_month_end(void)
{
    FEEL("@\"2026-01-31T09:00:00Z\" + @\"P1M\"", NULL, "\"2026-02-28T09:00:00Z\"");
    FEEL("@\"2028-01-31T09:00:00Z\" + @\"P1M\"", NULL, "\"2028-02-29T09:00:00Z\"");
    FEEL("@\"2026-01-15\" + @\"P1M\"", NULL, "\"2026-02-15\"");
    FEEL("@\"2026-03-31\" - @\"P1M\"", NULL, "\"2026-02-28\"");
    FEEL("@\"2026-12-15\" + @\"P1Y1M\"", NULL, "\"2028-01-15\"");
    FEEL("@\"2024-02-29\" + @\"P1Y\"", NULL, "\"2025-02-28\"");
}

static void test_juel_operators(void)
{
    FEEL("${amount > 100}", "{\"amount\":150}", "true");
    FEEL("${amount gt 100 && approved}", "{\"amount\":150,\"approved\":true}", "true");
    FEEL("${a == 1 || b != 2}", "{\"a\":2,\"b\":2}", "false");
    FEEL("${a eq 1 or b ne 2}", "{\"a\":1,\"b\":2}", "true");
    FEEL("${!approved}", "{\"approved\":false}", "true");
    FEEL("${not approved and true}", "{\"approved\":false}", "true");
    FEEL("${a lt 2 and a le 2 and a ge 1}", "{\"a\":1}", "true");
    FEEL("${(1 + 2) * 3 - 4 / 2}", NULL, "7");
    FEEL("${7 % 3}", NULL, "1");
    FEEL("${7 mod 3}", NULL, "1");
    FEEL("${amount > 100 ? 'big' : \"small\"}", "{\"amount\":5}", "\"small\"");
    FEEL("${customer.tier}", "{\"customer\":{\"tier\":\"gold\"}}", "\"gold\"");
    FEEL("${customer['tier']}", "{\"customer\":{\"tier\":\"gold\"}}", "\"gold\"");
    FEEL("${items[0]}", "{\"items\":[\"first\",\"second\"]}", "\"first\"");
    FEEL("${'it\\'s'}", NULL, "\"it's\"");
    FEEL("${null}", NULL, "null");
    FEEL("${amount == '150'}", "{\"amount\":150}", "true");
    FEEL("#{x}", "{\"x\":3}", "3");
}

static void test_juel_empty_is_true_for_null_empty_and_missing(void)
{
    FEEL("${empty x}", "{\"x\":null}", "true");
    FEEL("${empty x}", "{\"x\":\"\"}", "true");
    FEEL("${empty x}", "{\"x\":[]}", "true");
    FEEL("${empty x}", "{\"x\":{}}", "true");
    FEEL("${empty x}", "{\"x\":\"a\"}", "false");
    FEEL("${empty missing}", NULL, "true");
    FEEL("${!empty x}", "{\"x\":[1]}", "true");
}

static void test_juel_template_concatenates_text(void)
{
    VALUE("Hello ${name}!", "{\"name\":\"Anna\"}", "\"Hello Anna!\"");
    VALUE("${a} + ${b} = ${a + b}", "{\"a\":1,\"b\":2}", "\"1 + 2 = 3\"");
    VALUE("${x}", "{\"x\":42}", "42");
    VALUE("${x}", "{\"x\":[1,2]}", "[1,2]");
    VALUE("n=${x}", "{\"x\":null}", "\"n=\"");
    VALUE("cost \\${x}", NULL, "\"cost ${x}\"");
    VALUE(" ${x}", "{\"x\":1}", "\" 1\"");
    FEEL("  ${x > 1}  ", "{\"x\":2}", "true");
}

static void test_value_mode_tells_literal_feel_and_juel_apart(void)
{
    ex_expr *e = NULL;
    VALUE("anna", NULL, "\"anna\"");
    VALUE("amount > 100", NULL, "\"amount > 100\"");
    VALUE("=owner.manager", "{\"owner\":{\"manager\":\"bob\"}}", "\"bob\"");
    VALUE("${reviewer}", "{\"reviewer\":\"carl\"}", "\"carl\"");
    VALUE("", NULL, "\"\"");
    FEEL("amount > 100", "{\"amount\":101}", "true");
    FEEL("=amount > 100", "{\"amount\":101}", "true");

    CU_ASSERT_EQUAL(ex_compile("anna", EX_MODE_VALUE, NULL, &e, NULL, 0), BPMN_OK);
    CU_ASSERT(ex_is_literal(e));
    ex_free(e);
    CU_ASSERT_EQUAL(ex_compile("=1 + 2", EX_MODE_VALUE, NULL, &e, NULL, 0), BPMN_OK);
    CU_ASSERT(ex_is_literal(e));
    ex_free(e);
    CU_ASSERT_EQUAL(ex_compile("=x", EX_MODE_VALUE, NULL, &e, NULL, 0), BPMN_OK);
    CU_ASSERT(!ex_is_literal(e));
    ex_free(e);
    CU_ASSERT_EQUAL(ex_compile("=today()", EX_MODE_VALUE, NULL, &e, NULL, 0), BPMN_OK);
    CU_ASSERT(!ex_is_literal(e));
    ex_free(e);
    CU_ASSERT_EQUAL(ex_compile("${x}", EX_MODE_VALUE, NULL, &e, NULL, 0), BPMN_OK);
    CU_ASSERT(!ex_is_literal(e));
    ex_free(e);
}

static void test_a_variable_holding_an_expression_is_never_evaluated(void)
{
    VALUE("${x}", "{\"x\":\"${secret}\"}", "\"${secret}\"");
    VALUE("=x", "{\"x\":\"=secret\"}", "\"=secret\"");
    VALUE("Hi ${x}", "{\"x\":\"${secret}\"}", "\"Hi ${secret}\"");
    FEEL("x + \"\"", "{\"x\":\"#{secret}\"}", "\"#{secret}\"");
}

/* FEEL: a variable that does not exist is null (DMN 1.4; Zeebe); JUEL names it as an error, as
 * Camunda 7 and Flowable do. */
static void test_unknown_variable_is_null_in_feel_and_named_in_juel(void)
{
    FEEL("amount > 100", NULL, "null");
    FEEL("customer.tier", "{}", "null");
    FEEL("amount = null", NULL, "true");
    FEEL("${reviewer}", NULL, "error: unknown variable 'reviewer'");
    FEEL("${customer.tier}", "{}", "error: unknown variable 'customer'");
}

static void test_wrong_types_are_reported(void)
{
    FEEL("\"a\" < 1", NULL, "error: cannot compare string with number");
    FEEL("x = 1", "{\"x\":\"1\"}", "error: cannot compare string with number");
    FEEL("true + 1", NULL, "error: cannot add boolean and number");
    FEEL("\"a\" - 1", NULL, "error: cannot subtract number from string");
    FEEL("not(1)", NULL, "error: not needs a boolean, not number");
    FEEL("1 and true", NULL, "error: 'and' needs a boolean, not number");
    FEEL("upper case(1)", NULL, "error: upper case() expects a string as argument 1, not number");
    FEEL("x.y", "{\"x\":1}", "error: number has no property 'y'");
}

static void test_division_by_zero_is_an_error(void)
{
    FEEL("1 / 0", NULL, "error: division by zero");
    FEEL("${1 / 0}", NULL, "error: division by zero");
    FEEL("modulo(1, 0)", NULL, "error: division by zero");
    FEEL("10 ** 400", NULL, "error: the result is not a finite number");
}

static void test_syntax_errors_name_the_column(void)
{
    FEEL("amount > ", NULL,
         "compile error: syntax error: unexpected end of expression at column 10");
    FEEL("(1 + 2", NULL, "compile error: syntax error: expected ')' but found end of expression at "
                         "column 7");
    FEEL("1 + + 2", NULL, "compile error: syntax error: unexpected '+' at column 5");
    FEEL("a b", NULL, "compile error: syntax error: unexpected 'b' at column 3");
    FEEL("\"open", NULL, "compile error: syntax error: unterminated string at column 1");
    FEEL("foo(1)", NULL, "compile error: syntax error: unknown function 'foo' at column 1");
    FEEL("substring(\"a\")", NULL, "compile error: syntax error: substring() takes 2 to 3 "
                                   "arguments, not 1 at column 1");
    FEEL("${a +}", NULL, "compile error: syntax error: unexpected '}' at column 6");
    FEEL("${a", NULL, "compile error: syntax error: expected '}' but found end of expression at "
                      "column 4");
    FEEL("${a.b()}", NULL, "compile error: syntax error: method calls are not supported in JUEL "
                           "('b') at column 6");
    FEEL("", NULL, "compile error: syntax error: empty expression at column 1");
    FEEL("for in l return 1", NULL, "compile error: syntax error: expected a variable name but "
                                    "found 'in' at column 5");
    FEEL("1 @ 2", NULL, "compile error: syntax error: unexpected '@' at column 3");
    FEEL("\"\xC3\xA9\" 1", NULL, "compile error: syntax error: unexpected '1' at column 5");
    FEEL("\"\xff\"", NULL, "compile error: syntax error: invalid UTF-8 at column 2");
}

/* Messages may be stored as JSON: a cut character or a bad byte from a variable must not
 * reach them. */
static void test_error_messages_stay_valid_utf8(void)
{
    char err[20];
    ex_expr *e = NULL;
    cJSON *vars = cJSON_CreateObject();
    ex_env env = {lookup_json, vars, 0};
    cJSON *res = NULL;
    CU_ASSERT_EQUAL_FATAL(ex_compile("${\xC3\xA9t\xC3\xA9}", EX_MODE_EXPRESSION, NULL, &e, NULL, 0),
                          BPMN_OK);
    CU_ASSERT_EQUAL(ex_eval(e, &env, &res, err, sizeof err), BPMN_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "unknown variable '"); /* not a dangling half of the é */
    ex_free(e);

    char big[256];
    cJSON_AddStringToObject(vars, "x", "1\xFF\xFE");
    CU_ASSERT_EQUAL_FATAL(ex_compile("number(x)", EX_MODE_EXPRESSION, NULL, &e, NULL, 0), BPMN_OK);
    CU_ASSERT_EQUAL(ex_eval(e, &env, &res, big, sizeof big), BPMN_EINVAL);
    CU_ASSERT_STRING_EQUAL(big, "number(): \"1??\" is not a number");
    ex_free(e);
    cJSON_Delete(vars);
}

static void test_nesting_deeper_than_the_limit_is_a_compile_error(void)
{
    size_t n = 100000;
    char *src = malloc(2 * n + 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    memset(src, '(', n);
    src[n] = '1';
    memset(src + n + 1, ')', n);
    src[2 * n + 1] = '\0';
    STARTS(EX_MODE_EXPRESSION, src, NULL,
           "compile error: syntax error: expression nested too deeply (more than 64 levels)");
    memset(src, '-', n); /* - - - ... 1 */
    STARTS(EX_MODE_EXPRESSION, src, NULL, "compile error: syntax error: expression nested too");
    src[0] = '$';
    src[1] = '{';
    memset(src + 2, '!', n - 2);
    strcpy(src + n, "x}");
    STARTS(EX_MODE_EXPRESSION, src, NULL, "compile error: syntax error: expression nested too");
    /* a long flat chain is not nesting */
    for (size_t i = 0; i < n; i += 2) {
        src[i] = '1';
        src[i + 1] = '+';
    }
    src[n - 1] = '\0';
    FEEL(src, NULL, "50000");
    free(src);
    /* depth 60 still compiles */
    char ok[200];
    memset(ok, '[', 60);
    ok[60] = '1';
    memset(ok + 61, ']', 60);
    ok[121] = '\0';
    STARTS(EX_MODE_EXPRESSION, ok, NULL, "[[[[");
}

static void test_step_limit_stops_runaway_evaluation(void)
{
    FEEL("count(for i in 1..100 return for j in 1..100 return for k in 1..100 return k)", NULL,
         "error: evaluation took more than 100000 steps");
    FEEL("sum([1..1000000000])", NULL, "error: evaluation took more than 100000 steps");
    FEEL("5 in [1..1000000000]", NULL, "true"); /* a range test does not walk the range */
}

static void test_eval_bool_accepts_only_booleans(void)
{
    cJSON *vars = cJSON_Parse("{\"amount\":150}");
    ex_env env = {lookup_json, vars, NOW_MS};
    ex_expr *e = NULL;
    char err[256];
    int truth = -1;
    CU_ASSERT_EQUAL_FATAL(ex_compile("${amount > 100}", EX_MODE_EXPRESSION, NULL, &e, err,
                                     sizeof err), BPMN_OK);
    CU_ASSERT_EQUAL(ex_eval_bool(e, &env, &truth, err, sizeof err), BPMN_OK);
    CU_ASSERT_EQUAL(truth, 1);
    ex_free(e);
    CU_ASSERT_EQUAL_FATAL(ex_compile("amount", EX_MODE_EXPRESSION, NULL, &e, err, sizeof err),
                          BPMN_OK);
    CU_ASSERT_EQUAL(ex_eval_bool(e, &env, &truth, err, sizeof err), BPMN_EINVAL);
    CU_ASSERT(strstr(err, "condition did not evaluate to a boolean") != NULL);
    ex_free(e);
    CU_ASSERT_EQUAL_FATAL(ex_compile("${amount > missing}", EX_MODE_EXPRESSION, NULL, &e, err,
                                     sizeof err), BPMN_OK);
    CU_ASSERT_EQUAL(ex_eval_bool(e, &env, &truth, err, sizeof err), BPMN_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "unknown variable 'missing'");
    ex_free(e);
    /* In FEEL the missing variable is null, and so is the comparison: not a boolean. */
    CU_ASSERT_EQUAL_FATAL(ex_compile("amount > missing", EX_MODE_EXPRESSION, NULL, &e, err,
                                     sizeof err), BPMN_OK);
    CU_ASSERT_EQUAL(ex_eval_bool(e, &env, &truth, err, sizeof err), BPMN_EINVAL);
    CU_ASSERT(strstr(err, "condition did not evaluate to a boolean") != NULL);
    ex_free(e);
    cJSON_Delete(vars);
}

/* An allocator that counts live blocks and refuses after a budget. */
typedef struct counting {
    long live, left;
} counting;

static void *counting_alloc(void *ud, void *ptr, size_t size)
{
    counting *c = ud;
    if (size == 0) {
        if (ptr)
            c->live--;
        free(ptr);
        return NULL;
    }
    if (c->left-- <= 0)
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        c->live++;
    return p;
}

static void test_memory_goes_through_the_allocator_and_failures_are_enomem(void)
{
    const char *src = "=for x in [1, 2, 3] return {a: x, b: \"s\" + string(x)}";
    int saw_nomem = 0, saw_ok = 0;
    for (long budget = 0; budget < 40; budget++) {
        counting c = {0, budget};
        bpmn_allocator a = {counting_alloc, &c};
        ex_expr *e = NULL;
        char err[128];
        int rc = ex_compile(src, EX_MODE_VALUE, &a, &e, err, sizeof err);
        CU_ASSERT(rc == BPMN_OK || rc == BPMN_ENOMEM);
        if (rc == BPMN_OK) {
            ex_env env = {NULL, NULL, 0};
            cJSON *res = NULL;
            int rc2 = ex_eval(e, &env, &res, err, sizeof err);
            CU_ASSERT(rc2 == BPMN_OK || rc2 == BPMN_ENOMEM);
            saw_nomem |= rc2 == BPMN_ENOMEM;
            saw_ok |= rc2 == BPMN_OK;
            cJSON_Delete(res);
            ex_free(e);
        } else {
            CU_ASSERT_PTR_NULL(e);
            saw_nomem = 1;
        }
        CU_ASSERT_EQUAL(c.live, 0);
    }
    CU_ASSERT(saw_nomem && saw_ok);
}

static void test_one_compiled_expression_serves_many_evaluations(void)
{
    ex_expr *e = NULL;
    CU_ASSERT_EQUAL_FATAL(ex_compile("=if x > 1 then \"big\" else \"small\"", EX_MODE_VALUE,
                                     NULL, &e, NULL, 0), BPMN_OK);
    for (int i = 0; i < 3; i++) {
        cJSON *vars = cJSON_CreateObject();
        cJSON_AddNumberToObject(vars, "x", i);
        ex_env env = {lookup_json, vars, 0};
        cJSON *res = NULL;
        CU_ASSERT_EQUAL(ex_eval(e, &env, &res, NULL, 0), BPMN_OK);
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(res), i > 1 ? "big" : "small");
        cJSON_Delete(res);
        cJSON_Delete(vars);
    }
    ex_free(e);
    ex_free(NULL);
}

int main(void)
{
    static const tu_case cases[] = {
        {"feel_literals_evaluate_to_json", test_feel_literals_evaluate_to_json},
        {"feel_arithmetic_follows_precedence", test_feel_arithmetic_follows_precedence},
        {"feel_comparisons_and_logic", test_feel_comparisons_and_logic},
        {"feel_and_stops_at_the_first_false", test_feel_and_stops_at_the_first_false},
        {"variable_paths_read_nested_objects", test_variable_paths_read_nested_objects},
        {"if_then_else_picks_a_branch", test_if_then_else_picks_a_branch},
        {"list_indexing_is_one_based_and_negative_from_the_end",
         test_list_indexing_is_one_based_and_negative_from_the_end},
        {"list_filters_keep_matching_items", test_list_filters_keep_matching_items},
        {"contexts_build_objects", test_contexts_build_objects},
        {"in_tests_lists_and_ranges", test_in_tests_lists_and_ranges},
        {"between_includes_both_ends", test_between_includes_both_ends},
        {"string_concatenation_with_plus", test_string_concatenation_with_plus},
        {"string_functions", test_string_functions},
        {"number_functions", test_number_functions},
        {"list_functions", test_list_functions},
        {"for_some_every_iterate_lists_and_ranges", test_for_some_every_iterate_lists_and_ranges},
        {"is_defined_tells_missing_from_null", test_is_defined_tells_missing_from_null},
        {"dates_times_and_durations_come_back_as_iso_strings",
         test_dates_times_and_durations_come_back_as_iso_strings},
        {"temporal_arithmetic", test_temporal_arithmetic},
        {"adding_a_month_lands_on_the_same_day_or_the_month_end",
         test_adding_a_month_lands_on_the_same_day_or_the_month_end},
        {"juel_operators", test_juel_operators},
        {"juel_empty_is_true_for_null_empty_and_missing",
         test_juel_empty_is_true_for_null_empty_and_missing},
        {"juel_template_concatenates_text", test_juel_template_concatenates_text},
        {"value_mode_tells_literal_feel_and_juel_apart",
         test_value_mode_tells_literal_feel_and_juel_apart},
        {"a_variable_holding_an_expression_is_never_evaluated",
         test_a_variable_holding_an_expression_is_never_evaluated},
        {"unknown_variable_is_null_in_feel_and_named_in_juel",
         test_unknown_variable_is_null_in_feel_and_named_in_juel},
        {"wrong_types_are_reported", test_wrong_types_are_reported},
        {"division_by_zero_is_an_error", test_division_by_zero_is_an_error},
        {"syntax_errors_name_the_column", test_syntax_errors_name_the_column},
        {"error_messages_stay_valid_utf8", test_error_messages_stay_valid_utf8},
        {"nesting_deeper_than_the_limit_is_a_compile_error",
         test_nesting_deeper_than_the_limit_is_a_compile_error},
        {"step_limit_stops_runaway_evaluation", test_step_limit_stops_runaway_evaluation},
        {"eval_bool_accepts_only_booleans", test_eval_bool_accepts_only_booleans},
        {"memory_goes_through_the_allocator_and_failures_are_enomem",
         test_memory_goes_through_the_allocator_and_failures_are_enomem},
        {"one_compiled_expression_serves_many_evaluations",
         test_one_compiled_expression_serves_many_evaluations},
        {NULL, NULL}};
    return tu_run("expr", cases);
}
