/*
 * test_toml.c - unit tests for the strict TOML reader (kq_toml).
 *
 * Covers every supported value type and escape, CRLF, comments, table and
 * key rules, the exact text and line of each error, and the values of the
 * reference's config template and README examples under
 * <data dir>/config/.  The data directory is argv[1] if given, else
 * KQ_TEST_DATA_DIR (default "tests/data", relative to the project root).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_test.h"
#include "kq_toml.h"

#ifndef KQ_TEST_DATA_DIR
#define KQ_TEST_DATA_DIR "tests/data"
#endif

#define SECRET "o4NFZm3BTf4hpGzen1xMLZ396LaZhVxJkk76PwRK8P4dAVHmPqnTgnAmdXReGoC6"

static const char *data_dir = KQ_TEST_DATA_DIR;
static int last_rc;

/* Parses a string literal (embedded NULs included) as "test.toml". */
#define PARSE(lit, doc, err) kq_toml_parse(lit, sizeof(lit) - 1, "test.toml", doc, err)

/* The error message for a string literal, or "(parsed)" if it parsed. */
#define ERR(lit) parse_error(lit, sizeof(lit) - 1)

static const char *parse_error(const char *text, size_t len)
{
    static kq_error err;
    kq_toml_doc doc;

    memset(&err, 0, sizeof err);
    last_rc = kq_toml_parse(text, len, "test.toml", &doc, &err);
    if (last_rc == 0) {
        kq_toml_free(&doc);
        return "(parsed)";
    }
    /* A failed parse must leave nothing to free. */
    CHECK(doc.entries == NULL && doc.count == 0 && doc.tables == NULL);
    return err.msg;
}

/* The entry for table/key, which must exist with the given type; a missing
 * or mistyped entry counts as a failure and yields a poisoned dummy so the
 * value checks that follow fail too. */
#define GET(doc, table, key, type) get_entry(doc, table, key, type, __LINE__)

static const kq_toml_entry *get_entry(const kq_toml_doc *doc,
                                      const char *table, const char *key,
                                      kq_toml_type type, int line)
{
    static const kq_toml_entry missing = {
        .table = "?", .key = "?", .str = "(missing)", .str_len = 9,
        .integer = -424242, .real = -424242.0, .line = -1,
    };
    const kq_toml_entry *e = kq_toml_get(doc, table, key);

    kq_test_checks++;
    if (!e || e->type != type) {
        kq_test_failures++;
        fprintf(stderr, "%s:%d: entry [%s] %s %s (wanted a %s)\n", __FILE__,
                line, table, key, e ? "has another type" : "missing",
                kq_toml_type_name(type));
        return &missing;
    }
    return e;
}

static const char *data_path(const char *name)
{
    static char path[4096];

    snprintf(path, sizeof path, "%s/config/%s", data_dir, name);
    return path;
}

/* ---- Files: the reference's template and README examples ---- */

static void test_template(void)
{
    static const char *const headers[] = {
        "common_settings", "server_settings", "worker_settings",
        "client_settings",
    };
    kq_toml_doc doc;
    kq_error err = {{0}};
    const kq_toml_entry *e;
    size_t i;

    CHECK_INT(kq_toml_load(data_path("template.toml"), &doc, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK_INT(doc.count, 16);
    CHECK_INT(doc.table_count, 4);
    for (i = 0; i < 4 && i < doc.table_count; i++) {
        CHECK_STR(doc.tables[i].name, headers[i]);
        CHECK(doc.tables[i].header);
        CHECK(kq_toml_has_table(&doc, headers[i]));
    }
    CHECK_INT(doc.tables[1].line, 7);

    e = GET(&doc, "common_settings", "shared_secret", KQ_TOML_STRING);
    CHECK_STR(e->str, SECRET);
    CHECK_INT(e->str_len, 64);
    CHECK_INT(e->line, 2);
    CHECK_STR(e->table, "common_settings");
    CHECK_STR(e->key, "shared_secret");
    CHECK_STR(GET(&doc, "common_settings", "server_name", KQ_TOML_STRING)->str,
              "localhost");
    e = GET(&doc, "common_settings", "server_port", KQ_TOML_INTEGER);
    CHECK_INT(e->integer, 11236);
    CHECK_INT(e->line, 4);
    CHECK_STR(GET(&doc, "common_settings", "log_level", KQ_TOML_STRING)->str,
              "info");

    CHECK_STR(GET(&doc, "server_settings", "bind_addresses", KQ_TOML_STRING)->str,
              "0.0.0.0 [::]");
    CHECK_INT(GET(&doc, "server_settings", "maintenance_interval_seconds",
                  KQ_TOML_INTEGER)->integer, 60);
    CHECK_INT(GET(&doc, "server_settings", "worker_timeout_seconds",
                  KQ_TOML_INTEGER)->integer, 300);
    CHECK_INT(GET(&doc, "server_settings", "job_offer_timeout_seconds",
                  KQ_TOML_INTEGER)->integer, 60);
    CHECK_INT(GET(&doc, "server_settings", "job_cleanup_after_minutes",
                  KQ_TOML_INTEGER)->integer, 2880);
    CHECK_INT(GET(&doc, "server_settings", "global_max_parallel_jobs",
                  KQ_TOML_INTEGER)->integer, 100);

    CHECK_INT(GET(&doc, "worker_settings", "system_update_interval_seconds",
                  KQ_TOML_INTEGER)->integer, 60);
    CHECK_INT(GET(&doc, "worker_settings", "worker_max_parallel_jobs",
                  KQ_TOML_INTEGER)->integer, 10);
    CHECK(GET(&doc, "worker_settings", "dynamic_check_free_resources",
              KQ_TOML_BOOL)->boolean);
    CHECK(GET(&doc, "worker_settings", "dynamic_cpu_load_scale_factor",
              KQ_TOML_FLOAT)->real == 1.0);

    CHECK_INT(GET(&doc, "client_settings", "job_default_cpus",
                  KQ_TOML_INTEGER)->integer, 8);
    e = GET(&doc, "client_settings", "job_default_ram_mb", KQ_TOML_INTEGER);
    CHECK_INT(e->integer, 8192);
    CHECK_INT(e->line, 23);

    /* Entries keep document order. */
    CHECK_STR(doc.entries[0].key, "shared_secret");
    CHECK_STR(doc.entries[15].key, "job_default_ram_mb");
    CHECK(kq_toml_get(&doc, "common_settings", "no_such_key") == NULL);
    CHECK(kq_toml_get(&doc, "", "server_port") == NULL);
    CHECK(!kq_toml_has_table(&doc, "restart_workers"));
    CHECK(kq_toml_has_table(&doc, ""));
    kq_toml_free(&doc);
    CHECK(doc.entries == NULL && doc.count == 0);
}

static void test_readme_examples(void)
{
    kq_toml_doc doc;
    kq_error err = {{0}};

    CHECK_INT(kq_toml_load(data_path("readme_common_settings.toml"), &doc,
                           &err), 0);
    CHECK_INT(doc.count, 3);
    CHECK_STR(GET(&doc, "common_settings", "shared_secret", KQ_TOML_STRING)->str,
              "keep private!");
    CHECK_STR(GET(&doc, "common_settings", "server_name", KQ_TOML_STRING)->str,
              "ralab29");
    CHECK_INT(GET(&doc, "common_settings", "server_port", KQ_TOML_INTEGER)->integer,
              11236);
    kq_toml_free(&doc);

    CHECK_INT(kq_toml_load(data_path("readme_restart_workers.toml"), &doc,
                           &err), 0);
    CHECK_INT(doc.count, 3);
    CHECK_STR(GET(&doc, "restart_workers", "ssh_user", KQ_TOML_STRING)->str,
              "klemmefn");
    CHECK_STR(GET(&doc, "restart_workers", "hostnames", KQ_TOML_STRING)->str,
              "rax11   rax17   rax19   rax32\n"
              "ralab04 ralab06 ralab07 ralab08\n"
              "ralab10 ralab11 ralab13 ralab14\n"
              "ralab16 ralab18 ralab22 ralab23\n"
              "ralab24 ralab25 ralab26 ralab27\n");
    CHECK_INT(GET(&doc, "restart_workers", "sleep_minutes_before_recheck",
                  KQ_TOML_INTEGER)->integer, 60);
    CHECK_INT(GET(&doc, "restart_workers", "sleep_minutes_before_recheck",
                  KQ_TOML_INTEGER)->line, 10);
    kq_toml_free(&doc);

    CHECK_INT(kq_toml_load(data_path("optional_sections.toml"), &doc, &err), 0);
    CHECK_INT(doc.count, 9);
    CHECK_STR(GET(&doc, "common_settings", "shared_secret", KQ_TOML_STRING)->str,
              SECRET);
    CHECK(kq_toml_has_table(&doc, "global_resources"));
    CHECK_INT(GET(&doc, "global_resources", "genus", KQ_TOML_INTEGER)->integer, 3);
    CHECK_INT(GET(&doc, "global_resources", "primelib", KQ_TOML_INTEGER)->integer,
              31);
    CHECK_STR(GET(&doc, "restart_workers", "ssh_user", KQ_TOML_STRING)->str,
              "alice");
    CHECK_STR(GET(&doc, "restart_workers", "hostnames", KQ_TOML_STRING)->str,
              "node1 node2 node3");
    CHECK(GET(&doc, "restart_workers", "sleep_minutes_before_recheck",
              KQ_TOML_FLOAT)->real == 60.0);
    kq_toml_free(&doc);
}

static void test_load_errors(void)
{
    char dir[4096], want[8192];
    kq_toml_doc doc;
    kq_error err = {{0}};
    int rc;

    rc = kq_toml_load(data_path("no_such_file.toml"), &doc, &err);
    CHECK_INT(rc, -ENOENT);
    snprintf(want, sizeof want, "%s: No such file or directory",
             data_path("no_such_file.toml"));
    CHECK_STR(err.msg, want);
    CHECK(doc.entries == NULL && doc.count == 0);

    snprintf(dir, sizeof dir, "%s/config", data_dir);
    CHECK_INT(kq_toml_load(dir, &doc, &err), -EISDIR);

    CHECK_INT(kq_toml_load(data_path("bad_duplicate.toml"), &doc, &err),
              -EINVAL);
    snprintf(want, sizeof want,
             "%s:4: duplicate key \"server_port\" in [common_settings]",
             data_path("bad_duplicate.toml"));
    CHECK_STR(err.msg, want);

    CHECK_INT(kq_toml_load(data_path("bad_utf8.toml"), &doc, &err), -EINVAL);
    snprintf(want, sizeof want, "%s:2: invalid UTF-8",
             data_path("bad_utf8.toml"));
    CHECK_STR(err.msg, want);
}

/* ---- Values ---- */

static void test_strings(void)
{
    kq_toml_doc doc;
    kq_error err = {{0}};
    const kq_toml_entry *e;

    CHECK_INT(PARSE("esc = \"b\\b t\\t n\\n f\\f r\\r q\\\" bs\\\\\"\n"
                    "uni = \"caf\\u00e9 \\u00E9 \\u20AC \\U0001F600 \\U0000004B\"\n"
                    "nul = \"a\\u0000b\"\n"
                    "raw = \"tab\there caf\xc3\xa9 # not a comment\"\n"
                    "empty = \"\"\n"
                    "lit = 'C:\\Users\\nodejs\\templates'\n"
                    "lit_quote = 'Tom \"Dubs\" Preston-Werner'\n"
                    "lit_empty = ''\n"
                    "ml = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n"
                    "ml_join = \"\"\"\\\n  The quick \\\n\n   brown \\   \n"
                    "   fox.\\\n   \"\"\"\n"
                    "ml_quotes = \"\"\"Here are two quotation marks: \"\". Simple.\"\"\"\n"
                    "ml_edge = \"\"\"\"This,\" she said, \"is just a quote.\"\"\"\"\n"
                    "ml_five = \"\"\"x\"\"\"\"\"\n"
                    "ml_empty = \"\"\"\"\"\"\n"
                    "ml_esc = \"\"\"a\\tb\\\\\\\"\"\"\"\n"
                    "ml_keep_ws = \"\"\"  two\n\tlines  \"\"\"\n"
                    "mll = '''\nThe first newline is\ntrimmed in raw strings.\n"
                    "   All other whitespace\n   is preserved.\\n\n'''\n"
                    "mll_quotes = '''That's still '' pointless'''\n"
                    "mll_edge = ''''a'''''\n",
                    &doc, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK_STR(GET(&doc, "", "esc", KQ_TOML_STRING)->str,
              "b\b t\t n\n f\f r\r q\" bs\\");
    CHECK_STR(GET(&doc, "", "uni", KQ_TOML_STRING)->str,
              "caf\xc3\xa9 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 K");
    e = GET(&doc, "", "nul", KQ_TOML_STRING);
    CHECK_INT(e->str_len, 3);
    CHECK(memcmp(e->str, "a\0b", 4) == 0);
    CHECK_STR(GET(&doc, "", "raw", KQ_TOML_STRING)->str,
              "tab\there caf\xc3\xa9 # not a comment");
    e = GET(&doc, "", "empty", KQ_TOML_STRING);
    CHECK_STR(e->str, "");
    CHECK_INT(e->str_len, 0);
    CHECK_STR(GET(&doc, "", "lit", KQ_TOML_STRING)->str,
              "C:\\Users\\nodejs\\templates");
    CHECK_STR(GET(&doc, "", "lit_quote", KQ_TOML_STRING)->str,
              "Tom \"Dubs\" Preston-Werner");
    CHECK_STR(GET(&doc, "", "lit_empty", KQ_TOML_STRING)->str, "");
    CHECK_STR(GET(&doc, "", "ml", KQ_TOML_STRING)->str,
              "Roses are red\nViolets are blue");
    CHECK_STR(GET(&doc, "", "ml_join", KQ_TOML_STRING)->str,
              "The quick brown fox.");
    CHECK_INT(GET(&doc, "", "ml_join", KQ_TOML_STRING)->line, 12);
    CHECK_STR(GET(&doc, "", "ml_quotes", KQ_TOML_STRING)->str,
              "Here are two quotation marks: \"\". Simple.");
    CHECK_STR(GET(&doc, "", "ml_edge", KQ_TOML_STRING)->str,
              "\"This,\" she said, \"is just a quote.\"");
    CHECK_STR(GET(&doc, "", "ml_five", KQ_TOML_STRING)->str, "x\"\"");
    CHECK_STR(GET(&doc, "", "ml_empty", KQ_TOML_STRING)->str, "");
    CHECK_STR(GET(&doc, "", "ml_esc", KQ_TOML_STRING)->str, "a\tb\\\"");
    CHECK_STR(GET(&doc, "", "ml_keep_ws", KQ_TOML_STRING)->str,
              "  two\n\tlines  ");
    CHECK_STR(GET(&doc, "", "mll", KQ_TOML_STRING)->str,
              "The first newline is\ntrimmed in raw strings.\n"
              "   All other whitespace\n   is preserved.\\n\n");
    CHECK_STR(GET(&doc, "", "mll_quotes", KQ_TOML_STRING)->str,
              "That's still '' pointless");
    CHECK_STR(GET(&doc, "", "mll_edge", KQ_TOML_STRING)->str, "'a''");
    CHECK_INT(GET(&doc, "", "mll_edge", KQ_TOML_STRING)->line, 32);
    kq_toml_free(&doc);
}

static void test_integers(void)
{
    kq_toml_doc doc;
    kq_error err = {{0}};

    CHECK_INT(PARSE("a = 0\nb = +0\nc = -0\nd = +99\ne = -17\n"
                    "f = 1_000\ng = 5_349_221\nh = 1_2_3_4_5\n"
                    "max = 9223372036854775807\nmin = -9223372036854775808\n"
                    "hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\n"
                    "hex_max = 0x7FFFFFFFFFFFFFFF\nhex_zeros = 0x000F\n"
                    "oct = 0o01234567\noct2 = 0o755\nbin = 0b11010110\n"
                    "zero_hex = 0x0\n",
                    &doc, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK_INT(GET(&doc, "", "a", KQ_TOML_INTEGER)->integer, 0);
    CHECK_INT(GET(&doc, "", "b", KQ_TOML_INTEGER)->integer, 0);
    CHECK_INT(GET(&doc, "", "c", KQ_TOML_INTEGER)->integer, 0);
    CHECK_INT(GET(&doc, "", "d", KQ_TOML_INTEGER)->integer, 99);
    CHECK_INT(GET(&doc, "", "e", KQ_TOML_INTEGER)->integer, -17);
    CHECK_INT(GET(&doc, "", "f", KQ_TOML_INTEGER)->integer, 1000);
    CHECK_INT(GET(&doc, "", "g", KQ_TOML_INTEGER)->integer, 5349221);
    CHECK_INT(GET(&doc, "", "h", KQ_TOML_INTEGER)->integer, 12345);
    CHECK(GET(&doc, "", "max", KQ_TOML_INTEGER)->integer == INT64_MAX);
    CHECK(GET(&doc, "", "min", KQ_TOML_INTEGER)->integer == INT64_MIN);
    CHECK_INT(GET(&doc, "", "hex1", KQ_TOML_INTEGER)->integer, 0xDEADBEEF);
    CHECK_INT(GET(&doc, "", "hex2", KQ_TOML_INTEGER)->integer, 0xDEADBEEF);
    CHECK_INT(GET(&doc, "", "hex3", KQ_TOML_INTEGER)->integer, 0xDEADBEEF);
    CHECK(GET(&doc, "", "hex_max", KQ_TOML_INTEGER)->integer == INT64_MAX);
    CHECK_INT(GET(&doc, "", "hex_zeros", KQ_TOML_INTEGER)->integer, 15);
    CHECK_INT(GET(&doc, "", "oct", KQ_TOML_INTEGER)->integer, 01234567);
    CHECK_INT(GET(&doc, "", "oct2", KQ_TOML_INTEGER)->integer, 0755);
    CHECK_INT(GET(&doc, "", "bin", KQ_TOML_INTEGER)->integer, 214);
    CHECK_INT(GET(&doc, "", "zero_hex", KQ_TOML_INTEGER)->integer, 0);
    kq_toml_free(&doc);
}

static void test_floats(void)
{
    kq_toml_doc doc;
    kq_error err = {{0}};
    double v;

    CHECK_INT(PARSE("a = +1.0\nb = 3.1415\nc = -0.01\nd = 5e+22\ne = 1e06\n"
                    "f = -2E-2\ng = 6.626e-34\nh = 224_617.445_991_228\n"
                    "i = 1e1_0\nj = 0e0\nk = 0.0\nneg0 = -0.0\npos0 = +0.0\n"
                    "inf1 = inf\ninf2 = +inf\ninf3 = -inf\n"
                    "nan1 = nan\nnan2 = +nan\nnan3 = -nan\n"
                    "tiny = 1e-400\nscale = 1.0\n",
                    &doc, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK(GET(&doc, "", "a", KQ_TOML_FLOAT)->real == 1.0);
    CHECK(GET(&doc, "", "b", KQ_TOML_FLOAT)->real == 3.1415);
    CHECK(GET(&doc, "", "c", KQ_TOML_FLOAT)->real == -0.01);
    CHECK(GET(&doc, "", "d", KQ_TOML_FLOAT)->real == 5e22);
    CHECK(GET(&doc, "", "e", KQ_TOML_FLOAT)->real == 1e6);
    CHECK(GET(&doc, "", "f", KQ_TOML_FLOAT)->real == -0.02);
    CHECK(GET(&doc, "", "g", KQ_TOML_FLOAT)->real == 6.626e-34);
    CHECK(GET(&doc, "", "h", KQ_TOML_FLOAT)->real == 224617.445991228);
    CHECK(GET(&doc, "", "i", KQ_TOML_FLOAT)->real == 1e10);
    CHECK(GET(&doc, "", "j", KQ_TOML_FLOAT)->real == 0.0);
    CHECK(GET(&doc, "", "k", KQ_TOML_FLOAT)->real == 0.0);
    v = GET(&doc, "", "neg0", KQ_TOML_FLOAT)->real;
    CHECK(v == 0.0 && signbit(v));
    v = GET(&doc, "", "pos0", KQ_TOML_FLOAT)->real;
    CHECK(v == 0.0 && !signbit(v));
    v = GET(&doc, "", "inf1", KQ_TOML_FLOAT)->real;
    CHECK(isinf(v) && v > 0);
    v = GET(&doc, "", "inf2", KQ_TOML_FLOAT)->real;
    CHECK(isinf(v) && v > 0);
    v = GET(&doc, "", "inf3", KQ_TOML_FLOAT)->real;
    CHECK(isinf(v) && v < 0);
    v = GET(&doc, "", "nan1", KQ_TOML_FLOAT)->real;
    CHECK(isnan(v) && !signbit(v));
    v = GET(&doc, "", "nan2", KQ_TOML_FLOAT)->real;
    CHECK(isnan(v) && !signbit(v));
    v = GET(&doc, "", "nan3", KQ_TOML_FLOAT)->real;
    CHECK(isnan(v) && signbit(v));
    CHECK(GET(&doc, "", "tiny", KQ_TOML_FLOAT)->real == 0.0);
    CHECK(GET(&doc, "", "scale", KQ_TOML_FLOAT)->real == 1.0);
    kq_toml_free(&doc);
}

static void test_booleans_and_types(void)
{
    kq_toml_doc doc;
    kq_error err = {{0}};

    CHECK_INT(PARSE("t = true\nf = false\n", &doc, &err), 0);
    CHECK(GET(&doc, "", "t", KQ_TOML_BOOL)->boolean == true);
    CHECK(GET(&doc, "", "f", KQ_TOML_BOOL)->boolean == false);
    CHECK(GET(&doc, "", "t", KQ_TOML_BOOL)->str == NULL);
    kq_toml_free(&doc);

    CHECK_STR(kq_toml_type_name(KQ_TOML_STRING), "string");
    CHECK_STR(kq_toml_type_name(KQ_TOML_INTEGER), "integer");
    CHECK_STR(kq_toml_type_name(KQ_TOML_FLOAT), "float");
    CHECK_STR(kq_toml_type_name(KQ_TOML_BOOL), "boolean");
}

/* ---- Keys and tables ---- */

static void test_keys(void)
{
    kq_toml_doc doc;
    kq_error err = {{0}};

    CHECK_INT(PARSE("bare_key = 1\nbare-key = 2\n1234 = 3\nA-z_09 = 4\n"
                    "\"127.0.0.1\" = 5\n\"character encoding\" = 6\n"
                    "'key2' = 7\n'quoted \"value\"' = 8\n\"\" = 9\n"
                    "\"tab\\there\" = 10\n"
                    "physical.color = \"orange\"\n"
                    "site . \"google.com\" = true\n"
                    "3.14159 = \"pi\"\n"
                    "\t  indented   =   11  \n",
                    &doc, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK_INT(doc.count, 14);
    CHECK_INT(GET(&doc, "", "bare_key", KQ_TOML_INTEGER)->integer, 1);
    CHECK_INT(GET(&doc, "", "bare-key", KQ_TOML_INTEGER)->integer, 2);
    CHECK_INT(GET(&doc, "", "1234", KQ_TOML_INTEGER)->integer, 3);
    CHECK_INT(GET(&doc, "", "A-z_09", KQ_TOML_INTEGER)->integer, 4);
    /* Keys that are not bare keys are named in quotes, so "127.0.0.1" is
     * one segment, not four. */
    CHECK_STR(doc.entries[4].key, "\"127.0.0.1\"");
    CHECK_INT(GET(&doc, "", "\"127.0.0.1\"", KQ_TOML_INTEGER)->integer, 5);
    CHECK(kq_toml_get(&doc, "", "127.0.0.1") == NULL);
    CHECK_INT(GET(&doc, "", "\"character encoding\"", KQ_TOML_INTEGER)->integer,
              6);
    /* A quoted key that is also a valid bare key is named bare. */
    CHECK_STR(doc.entries[6].key, "key2");
    CHECK_STR(doc.entries[7].key, "\"quoted \\\"value\\\"\"");
    CHECK_STR(doc.entries[8].key, "\"\"");
    CHECK_STR(doc.entries[9].key, "\"tab\\there\"");
    CHECK_STR(GET(&doc, "", "physical.color", KQ_TOML_STRING)->str, "orange");
    CHECK_STR(GET(&doc, "physical", "color", KQ_TOML_STRING)->str, "orange");
    CHECK_STR(doc.entries[10].table, "");
    CHECK(GET(&doc, "site", "\"google.com\"", KQ_TOML_BOOL)->boolean);
    CHECK_STR(GET(&doc, "", "3.14159", KQ_TOML_STRING)->str, "pi");
    CHECK_INT(GET(&doc, "", "indented", KQ_TOML_INTEGER)->integer, 11);
    CHECK_INT(GET(&doc, "", "indented", KQ_TOML_INTEGER)->line, 14);
    /* Dotted keys create tables without headers. */
    CHECK(kq_toml_has_table(&doc, "physical"));
    CHECK(kq_toml_has_table(&doc, "site"));
    CHECK(kq_toml_has_table(&doc, "3"));
    CHECK_INT(doc.table_count, 3);
    CHECK(!doc.tables[0].header);
    CHECK_INT(doc.tables[0].line, 11);
    kq_toml_free(&doc);
}

static void test_tables(void)
{
    kq_toml_doc doc;
    kq_error err = {{0}};

    CHECK_INT(PARSE("top = 1\n"
                    "[ dog . \"tater.man\" ]\ntype.name = \"pug\"\n"
                    "[x.y.z.w]\n[x]\nin_x = 2\n"
                    "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n"
                    "[fruit.apple.texture]\nsmooth = true\n"
                    "[empty]\n"
                    "[ 'quoted' . \"with space\" ]\nk = 3\n",
                    &doc, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK_INT(GET(&doc, "", "top", KQ_TOML_INTEGER)->integer, 1);
    CHECK_STR(GET(&doc, "dog.\"tater.man\"", "type.name", KQ_TOML_STRING)->table,
              "dog.\"tater.man\"");
    CHECK_STR(GET(&doc, "dog.\"tater.man\".type", "name", KQ_TOML_STRING)->str,
              "pug");
    CHECK(kq_toml_has_table(&doc, "dog"));
    CHECK(kq_toml_has_table(&doc, "dog.\"tater.man\".type"));
    CHECK(kq_toml_has_table(&doc, "x.y.z.w"));
    CHECK(kq_toml_has_table(&doc, "x.y"));
    CHECK_INT(GET(&doc, "x", "in_x", KQ_TOML_INTEGER)->integer, 2);
    CHECK_STR(GET(&doc, "fruit", "apple.color", KQ_TOML_STRING)->str, "red");
    CHECK(GET(&doc, "fruit.apple.taste", "sweet", KQ_TOML_BOOL)->boolean);
    CHECK(GET(&doc, "fruit.apple.texture", "smooth", KQ_TOML_BOOL)->boolean);
    CHECK(GET(&doc, "", "fruit.apple.texture.smooth", KQ_TOML_BOOL)->boolean);
    CHECK(kq_toml_has_table(&doc, "empty"));
    CHECK_INT(GET(&doc, "quoted.\"with space\"", "k", KQ_TOML_INTEGER)->integer,
              3);
    CHECK(!kq_toml_has_table(&doc, "quoted.with space"));
    CHECK(!kq_toml_has_table(&doc, "fruit.apple.color"));
    kq_toml_free(&doc);

    /* [x] after [x.y.z.w] turns the implicit table into a defined one. */
    CHECK_INT(PARSE("[x.y]\n[x]\n", &doc, &err), 0);
    CHECK_INT(doc.table_count, 2);
    CHECK_STR(doc.tables[0].name, "x");
    CHECK(doc.tables[0].header);
    CHECK_INT(doc.tables[0].line, 2);
    CHECK_STR(doc.tables[1].name, "x.y");
    kq_toml_free(&doc);

    /* Dotted keys may extend a table that only exists as a header prefix. */
    CHECK_INT(PARSE("[a.b.c]\nz = 9\n[a]\nb.d = 1\n", &doc, &err), 0);
    CHECK_INT(GET(&doc, "a.b", "d", KQ_TOML_INTEGER)->integer, 1);
    kq_toml_free(&doc);
}

/* ---- Layout: newlines, comments, BOM ---- */

static void test_crlf_and_comments(void)
{
    kq_toml_doc doc;
    kq_error err = {{0}};

    CHECK_INT(PARSE("# leading comment\r\n"
                    "\r\n"
                    "a = 1\r\n"
                    "[t] # after a header\r\n"
                    "\t# indented comment \xc3\xa9 with \"quotes\" and ] [ =\r\n"
                    "b = \"x\" # after a string\r\n"
                    "c = 2#no space\r\n"
                    "d = '#not a comment'\r\n"
                    "e = \"\"\"line1\r\nline2 \\\r\n   joined\"\"\"\r\n"
                    "f = '''\r\nraw\r\n'''\r\n"
                    "g = true\t#\ttab\r\n"
                    "#\r\n"
                    "h = 3 # last, no newline",
                    &doc, &err), 0);
    CHECK_STR(err.msg, "");
    CHECK_INT(doc.count, 8);
    CHECK_INT(GET(&doc, "", "a", KQ_TOML_INTEGER)->line, 3);
    CHECK_INT(doc.tables[0].line, 4);
    CHECK_STR(GET(&doc, "t", "b", KQ_TOML_STRING)->str, "x");
    CHECK_INT(GET(&doc, "t", "b", KQ_TOML_STRING)->line, 6);
    CHECK_INT(GET(&doc, "t", "c", KQ_TOML_INTEGER)->integer, 2);
    CHECK_STR(GET(&doc, "t", "d", KQ_TOML_STRING)->str, "#not a comment");
    CHECK_STR(GET(&doc, "t", "e", KQ_TOML_STRING)->str, "line1\nline2 joined");
    CHECK_STR(GET(&doc, "t", "f", KQ_TOML_STRING)->str, "raw\n");
    CHECK_INT(GET(&doc, "t", "f", KQ_TOML_STRING)->line, 12);
    CHECK(GET(&doc, "t", "g", KQ_TOML_BOOL)->boolean);
    CHECK_INT(GET(&doc, "t", "g", KQ_TOML_BOOL)->line, 15);
    CHECK_INT(GET(&doc, "t", "h", KQ_TOML_INTEGER)->line, 17);
    kq_toml_free(&doc);

    /* An error after CRLF lines still names the right line. */
    CHECK_STR(ERR("a = 1\r\nb = 2\r\nc 3\r\n"),
              "test.toml:3: expected '=' after key \"c\"");

    CHECK_INT(PARSE("", &doc, &err), 0);
    CHECK_INT(doc.count, 0);
    kq_toml_free(&doc);
    CHECK_INT(PARSE(" \t\n\n# only a comment", &doc, &err), 0);
    CHECK_INT(doc.count, 0);
    kq_toml_free(&doc);
    CHECK_INT(kq_toml_parse(NULL, 0, NULL, &doc, &err), 0);
    kq_toml_free(&doc);

    CHECK_INT(PARSE("\xef\xbb\xbf" "a = 1\n", &doc, &err), 0);
    CHECK_INT(GET(&doc, "", "a", KQ_TOML_INTEGER)->integer, 1);
    kq_toml_free(&doc);
    CHECK_STR(ERR("a = 1\n\xef\xbb\xbf" "b = 2\n"),
              "test.toml:2: expected a key, found U+FEFF");
}

/* ---- Errors: exact text and line ---- */

static void test_syntax_errors(void)
{
    CHECK_STR(ERR("[common_settings]\nserver_port 11236\n"),
              "test.toml:2: expected '=' after key \"server_port\"");
    CHECK_INT(last_rc, -EINVAL);
    CHECK_STR(ERR("a b = 1\n"), "test.toml:1: expected '=' after key \"a\"");
    CHECK_STR(ERR("a\n= 1\n"), "test.toml:1: expected '=' after key \"a\"");
    CHECK_STR(ERR("\"my key\" 1\n"),
              "test.toml:1: expected '=' after key \"my key\"");
    CHECK_STR(ERR("= 1\n"), "test.toml:1: expected a key, found '='");
    CHECK_STR(ERR("a. = 1\n"),
              "test.toml:1: expected a key after '.', found '='");
    CHECK_STR(ERR("a..b = 1\n"),
              "test.toml:1: expected a key after '.', found '.'");
    CHECK_STR(ERR("\xc3\xa9 = 1\n"), "test.toml:1: expected a key, found U+00E9");
    CHECK_STR(ERR("\"\"\"a\"\"\" = 1\n"),
              "test.toml:1: multi-line strings cannot be used as keys");
    CHECK_STR(ERR("'''a''' = 1\n"),
              "test.toml:1: multi-line strings cannot be used as keys");
    CHECK_STR(ERR("a =\n1\n"), "test.toml:1: missing value for key \"a\"");
    CHECK_STR(ERR("a = # comment\n"), "test.toml:1: missing value for key \"a\"");
    CHECK_STR(ERR("a ="), "test.toml:1: missing value for key \"a\"");
    CHECK_STR(ERR("a = @\n"), "test.toml:1: invalid value for key \"a\": @ (strings need "
                              "quotes: a = \"@\")");
    CHECK_STR(ERR("a = = 1\n"),
              "test.toml:1: expected a value for key \"a\", found '='");
    CHECK_STR(ERR("a = 1 2\n"),
              "test.toml:1: unexpected '2' after the value of key \"a\"");
    CHECK_STR(ERR("\n\na = \"x\" y\n"),
              "test.toml:3: unexpected 'y' after the value of key \"a\"");
    CHECK_STR(ERR("a = \"\"\"x\"\"\"\"\"\"\n"),
              "test.toml:1: unexpected '\"' after the value of key \"a\"");
    CHECK_STR(ERR("a = 'x''\n"),
              "test.toml:1: unexpected ''' after the value of key \"a\"");
    CHECK_STR(ERR("a.\"b c\" = 1 x\n"),
              "test.toml:1: unexpected 'x' after the value of key a.\"b c\"");
    CHECK_STR(ERR("[a] b = 1\n"),
              "test.toml:1: unexpected 'b' after table header [a]");
    CHECK_STR(ERR("[a]]\n"),
              "test.toml:1: unexpected ']' after table header [a]");
    CHECK_STR(ERR("[]\n"), "test.toml:1: expected a key, found ']'");
    CHECK_STR(ERR("[a\n"),
              "test.toml:1: expected ']' at the end of the table header, "
              "found end of line");
    CHECK_STR(ERR("[a b]\n"),
              "test.toml:1: expected ']' at the end of the table header, "
              "found 'b'");
    CHECK_STR(ERR("[a"),
              "test.toml:1: expected ']' at the end of the table header, "
              "found end of file");
    CHECK_STR(ERR("[ [a] ]\n"), "test.toml:1: expected a key, found '['");
}

static void test_string_errors(void)
{
    CHECK_STR(ERR("a = 1\nb = \"abc\nc = 2\n"),
              "test.toml:2: unterminated string");
    CHECK_STR(ERR("a = \"abc"), "test.toml:1: unterminated string");
    CHECK_STR(ERR("a = 'abc\n"), "test.toml:1: unterminated string");
    CHECK_STR(ERR("a = \"abc\\\n\""), "test.toml:1: unterminated string");
    CHECK_STR(ERR("x = 1\na = \"\"\"abc\n\ndef\n"),
              "test.toml:2: unterminated string");
    CHECK_STR(ERR("a = '''abc\n''\n"), "test.toml:1: unterminated string");
    CHECK_STR(ERR("a = \"\"\"abc\\"), "test.toml:1: unterminated string");
    CHECK_STR(ERR("\"key\n= 1\n"), "test.toml:1: unterminated string");
    CHECK_STR(ERR("\n\n\n\n\n\n\n\na = \"\\q\"\n"),
              "test.toml:9: invalid escape \\q");
    CHECK_STR(ERR("a = \"\\e\"\n"), "test.toml:1: invalid escape \\e");
    CHECK_STR(ERR("a = \"\\x41\"\n"), "test.toml:1: invalid escape \\x");
    CHECK_STR(ERR("a = \"\\'\"\n"), "test.toml:1: invalid escape \\'");
    CHECK_STR(ERR("a = \"a\\ b\"\n"),
              "test.toml:1: invalid escape: backslash followed by ' '");
    CHECK_STR(ERR("a = \"\"\"a\\ b\"\"\"\n"),
              "test.toml:1: invalid escape: backslash followed by ' '");
    CHECK_STR(ERR("a = \"\\\xc3\xa9\"\n"),
              "test.toml:1: invalid escape: backslash followed by U+00E9");
    CHECK_STR(ERR("a = \"\\u12G4\"\n"),
              "test.toml:1: invalid escape \\u12: expected 4 hex digits");
    CHECK_STR(ERR("a = \"\\u12\"\n"),
              "test.toml:1: invalid escape \\u12: expected 4 hex digits");
    CHECK_STR(ERR("a = \"\\U0001F60\"\n"),
              "test.toml:1: invalid escape \\U0001F60: expected 8 hex digits");
    CHECK_STR(ERR("a = \"\\uD800\"\n"),
              "test.toml:1: invalid escape \\uD800: not a Unicode scalar value");
    CHECK_STR(ERR("a = \"\\udfff\"\n"),
              "test.toml:1: invalid escape \\udfff: not a Unicode scalar value");
    CHECK_STR(ERR("a = \"\\U00110000\"\n"),
              "test.toml:1: invalid escape \\U00110000: not a Unicode scalar "
              "value");
    CHECK_STR(ERR("a = \"\"\"\nok\n\\q\"\"\"\n"),
              "test.toml:3: invalid escape \\q");
}

static void test_unsupported(void)
{
    CHECK_STR(ERR("\n\n\n\na = [1, 2]\n"),
              "test.toml:5: arrays are not supported");
    CHECK_STR(ERR("a = []\n"), "test.toml:1: arrays are not supported");
    CHECK_STR(ERR("a = { b = 1 }\n"),
              "test.toml:1: inline tables are not supported");
    CHECK_STR(ERR("x = 1\n[[products]]\n"),
              "test.toml:2: arrays of tables are not supported");
    CHECK_STR(ERR("d = 1979-05-27\n"),
              "test.toml:1: dates and times are not supported");
    CHECK_STR(ERR("d = 1979-05-27T07:32:00Z\n"),
              "test.toml:1: dates and times are not supported");
    CHECK_STR(ERR("d = 1979-05-27 07:32:00\n"),
              "test.toml:1: dates and times are not supported");
    CHECK_STR(ERR("t = 07:32:00\n"),
              "test.toml:1: dates and times are not supported");
}

static void test_number_errors(void)
{
    CHECK_STR(ERR("a = 9223372036854775808\n"),
              "test.toml:1: integer out of range: 9223372036854775808");
    CHECK_STR(ERR("a = -9223372036854775809\n"),
              "test.toml:1: integer out of range: -9223372036854775809");
    CHECK_STR(ERR("a = 99999999999999999999999\n"),
              "test.toml:1: integer out of range: 99999999999999999999999");
    CHECK_STR(ERR("a = 0x8000000000000000\n"),
              "test.toml:1: integer out of range: 0x8000000000000000");
    CHECK_STR(ERR("a = 0b1111111111111111111111111111111111111111111111111111111111111111\n"),
              "test.toml:1: integer out of range: "
              "0b1111111111111111111111111111111111111111111111111111111111111111");
    /* Long values are cut at 80 characters in messages. */
    CHECK_STR(ERR("a = 1234567890123456789012345678901234567890"
                  "12345678901234567890123456789012345678901234567890\n"),
              "test.toml:1: integer out of range: "
              "1234567890123456789012345678901234567890"
              "1234567890123456789012345678901234567890...");
    CHECK_STR(ERR("a = 1e400\n"), "test.toml:1: float out of range: 1e400");
    CHECK_STR(ERR("a = -1.5e999\n"), "test.toml:1: float out of range: -1.5e999");
    CHECK_STR(ERR("a = 0123\n"),
              "test.toml:1: leading zeros are not allowed: 0123");
    CHECK_STR(ERR("a = 00\n"), "test.toml:1: leading zeros are not allowed: 00");
    CHECK_STR(ERR("a = -01\n"), "test.toml:1: leading zeros are not allowed: -01");
    CHECK_STR(ERR("a = 0_1\n"), "test.toml:1: leading zeros are not allowed: 0_1");
    CHECK_STR(ERR("a = 01.5\n"),
              "test.toml:1: leading zeros are not allowed: 01.5");

    CHECK_STR(ERR("a = 1__0\n"), "test.toml:1: invalid value for key \"a\": 1__0");
    CHECK_STR(ERR("a = _1\n"), "test.toml:1: invalid value for key \"a\": _1");
    CHECK_STR(ERR("a = 1_\n"), "test.toml:1: invalid value for key \"a\": 1_");
    CHECK_STR(ERR("a = 1.\n"), "test.toml:1: invalid value for key \"a\": 1.");
    CHECK_STR(ERR("a = .5\n"), "test.toml:1: invalid value for key \"a\": .5");
    CHECK_STR(ERR("a = 1.e5\n"), "test.toml:1: invalid value for key \"a\": 1.e5");
    CHECK_STR(ERR("a = 1e\n"), "test.toml:1: invalid value for key \"a\": 1e");
    CHECK_STR(ERR("a = 1e+\n"), "test.toml:1: invalid value for key \"a\": 1e+");
    CHECK_STR(ERR("a = 1e_5\n"), "test.toml:1: invalid value for key \"a\": 1e_5");
    CHECK_STR(ERR("a = 1_.5\n"), "test.toml:1: invalid value for key \"a\": 1_.5");
    CHECK_STR(ERR("a = 1.5.3\n"), "test.toml:1: invalid value for key \"a\": 1.5.3 "
                                   "(strings need quotes: a = \"1.5.3\")");
    CHECK_STR(ERR("a = +0x1\n"), "test.toml:1: invalid value for key \"a\": +0x1");
    CHECK_STR(ERR("a = 0X1F\n"), "test.toml:1: invalid value for key \"a\": 0X1F");
    CHECK_STR(ERR("a = 0xG\n"), "test.toml:1: invalid value for key \"a\": 0xG");
    CHECK_STR(ERR("a = 0x_1\n"), "test.toml:1: invalid value for key \"a\": 0x_1");
    CHECK_STR(ERR("a = 0b102\n"), "test.toml:1: invalid value for key \"a\": 0b102");
    CHECK_STR(ERR("a = 0o8\n"), "test.toml:1: invalid value for key \"a\": 0o8");
    CHECK_STR(ERR("a = 0x\n"), "test.toml:1: invalid value for key \"a\": 0x");
    CHECK_STR(ERR("a = 0x1.0\n"), "test.toml:1: invalid value for key \"a\": 0x1.0");
    CHECK_STR(ERR("a = ++1\n"), "test.toml:1: invalid value for key \"a\": ++1");
    CHECK_STR(ERR("a = 12abc\n"), "test.toml:1: invalid value for key \"a\": 12abc "
                                   "(strings need quotes: a = \"12abc\")");
    CHECK_STR(ERR("a = infinity\n"),
              "test.toml:1: invalid value for key \"a\": infinity");
    CHECK_STR(ERR("a = Inf\n"), "test.toml:1: invalid value for key \"a\": Inf");
    CHECK_STR(ERR("a = NaN\n"), "test.toml:1: invalid value for key \"a\": NaN");
    CHECK_STR(ERR("a = inf_\n"), "test.toml:1: invalid value for key \"a\": inf_");
    CHECK_STR(ERR("a = TRUE\n"), "test.toml:1: invalid value for key \"a\": TRUE "
                                  "(booleans are true or false, in lower case)");
    CHECK_STR(ERR("a = True\n"), "test.toml:1: invalid value for key \"a\": True "
                                  "(booleans are true or false, in lower case)");
    CHECK_STR(ERR("a = truex\n"), "test.toml:1: invalid value for key \"a\": truex "
                                   "(strings need quotes: a = \"truex\")");
    CHECK_STR(ERR("a = localhost\n"), "test.toml:1: invalid value for key \"a\": "
                                       "localhost (strings need quotes: a = \"localhost\")");
}

/* Issue 13.2: an unquoted string is the likeliest mistake in a hand-edited
 * file; the message shows the line as it should be. */
static void test_unquoted_strings(void)
{
    CHECK_STR(ERR("[common_settings]\nserver_name = 127.0.0.1\n"),
              "test.toml:2: invalid value for key \"server_name\": 127.0.0.1 (strings "
              "need quotes: server_name = \"127.0.0.1\")");
    CHECK_STR(ERR("server_name = lab-pc.example.org   # the server\n"),
              "test.toml:1: invalid value for key \"server_name\": lab-pc.example.org "
              "(strings need quotes: server_name = \"lab-pc.example.org\")");
    CHECK_STR(ERR("hostnames = node1 node2\t\n"),
              "test.toml:1: invalid value for key \"hostnames\": node1 node2 (strings "
              "need quotes: hostnames = \"node1 node2\")");
    CHECK_STR(ERR("state_file = /home/me/kueue.db\r\n"),
              "test.toml:1: invalid value for key \"state_file\": /home/me/kueue.db "
              "(strings need quotes: state_file = \"/home/me/kueue.db\")");
    CHECK_STR(ERR("s.log_level = debug\n"),
              "test.toml:1: invalid value for key \"s.log_level\": debug (strings need "
              "quotes: s.log_level = \"debug\")");
    CHECK_STR(ERR("name = Z\xc3\xbcrich#1\n"),
              "test.toml:1: invalid value for key \"name\": Z\xc3\xbcrich#1 (strings "
              "need quotes: name = \"Z\xc3\xbcrich#1\")");
    CHECK_STR(ERR("name = \xc3\xbc\n"),
              "test.toml:1: invalid value for key \"name\": \xc3\xbc (strings need "
              "quotes: name = \"\xc3\xbc\")");
    /* A quote or backslash in it: no line to copy. */
    CHECK_STR(ERR("name = say \"hi\"\n"),
              "test.toml:1: invalid value for key \"name\": say \"hi\" (strings need "
              "quotes)");
    /* Numbers gone wrong stay numbers. */
    CHECK_STR(ERR("port = 11_236_\n"), "test.toml:1: invalid value for key \"port\": "
                                       "11_236_");
}

static void test_definition_errors(void)
{
    CHECK_STR(ERR("[common_settings]\nserver_port = 11236\nserver_port = 1\n"),
              "test.toml:3: duplicate key \"server_port\" in [common_settings]");
    CHECK_STR(ERR("a = 1\na = 2\n"),
              "test.toml:2: duplicate key \"a\" in the root table");
    CHECK_STR(ERR("a = 1\n\"a\" = 2\n"),
              "test.toml:2: duplicate key \"a\" in the root table");
    CHECK_STR(ERR("'a b' = 1\n\"a b\" = 2\n"),
              "test.toml:2: duplicate key \"a b\" in the root table");
    CHECK_STR(ERR("a = 1\na.b = 2\n"),
              "test.toml:2: duplicate key \"a\" in the root table");
    CHECK_STR(ERR("[t]\na.b = 1\na.b.c = 2\n"),
              "test.toml:3: duplicate key \"a.b\" in [t]");
    CHECK_STR(ERR("a.b = 1\na = 2\n"),
              "test.toml:2: duplicate key \"a\" in the root table");
    CHECK_STR(ERR("[a.b]\n[a]\nb = 1\n"),
              "test.toml:3: duplicate key \"b\" in [a]");
    CHECK_STR(ERR("[server_settings]\n[client_settings]\n\n[server_settings]\n"),
              "test.toml:4: table [server_settings] defined twice");
    CHECK_STR(ERR("[a]\n[\"a\"]\n"), "test.toml:2: table [a] defined twice");
    CHECK_STR(ERR("[x.y]\n[x]\n[x]\n"), "test.toml:3: table [x] defined twice");
    CHECK_STR(ERR("[\"a.b\"]\n[\"a.b\"]\n"),
              "test.toml:2: table [\"a.b\"] defined twice");
    CHECK_STR(ERR("[fruit]\napple.color = \"red\"\n[fruit.apple]\n"),
              "test.toml:3: table [fruit.apple] is already defined by dotted keys");
    CHECK_STR(ERR("[t1]\nt2.t3.v = 0\n[t1.t2.t3]\n"),
              "test.toml:3: table [t1.t2.t3] is already defined by dotted keys");
    CHECK_STR(ERR("[a.b.c]\n[a]\nb.d = 1\n[a.b]\n"),
              "test.toml:4: table [a.b] is already defined by dotted keys");
    CHECK_STR(ERR("a = 1\n[a.b]\n"),
              "test.toml:2: table [a.b] conflicts with key \"a\" in the root table");
    CHECK_STR(ERR("[t]\nx = 1\n[t.x]\n"),
              "test.toml:3: table [t.x] conflicts with key \"x\" in [t]");
    CHECK_STR(ERR("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n"),
              "test.toml:4: dotted key \"b.c.t\" reaches into table [a.b.c], "
              "which is defined by its header");
    CHECK_STR(ERR("[a.b.c.d]\nz = 9\n[a]\nb.c.d.k.t = 1\n"),
              "test.toml:4: dotted key \"b.c.d.k.t\" reaches into table "
              "[a.b.c.d], which is defined by its header");
    /* Canonical names keep "a.b" (one key) apart from a.b (two keys). */
    CHECK_STR(ERR("\"a.b\" = 1\na.b = 2\n\"a.b\" = 3\n"),
              "test.toml:3: duplicate key \"a.b\" in the root table");
}

static void test_byte_errors(void)
{
    CHECK_STR(ERR("a = 1\nb = \"\xc3\x28\"\n"), "test.toml:2: invalid UTF-8");
    CHECK_STR(ERR("# \xc0\xaf overlong\n"), "test.toml:1: invalid UTF-8");
    CHECK_STR(ERR("a = '\xed\xa0\x80'\n"), "test.toml:1: invalid UTF-8");
    CHECK_STR(ERR("a = '\xf4\x90\x80\x80'\n"), "test.toml:1: invalid UTF-8");
    CHECK_STR(ERR("\n\n\na = '\xe2\x82"), "test.toml:4: invalid UTF-8");
    CHECK_STR(ERR("a = '\x80'\n"), "test.toml:1: invalid UTF-8");
    CHECK_STR(ERR("a = '\xff'\n"), "test.toml:1: invalid UTF-8");
    /* Invalid UTF-8 is reported even after an earlier syntax error. */
    CHECK_STR(ERR("a = = 1\n# \xff\n"), "test.toml:2: invalid UTF-8");

    CHECK_STR(ERR("a = 1\rb = 2\n"),
              "test.toml:1: bare carriage return (lines must end in LF or CRLF)");
    CHECK_STR(ERR("a = 1\n\n\"x\r\""),
              "test.toml:3: bare carriage return (lines must end in LF or CRLF)");
    CHECK_STR(ERR("a = 1\r"),
              "test.toml:1: bare carriage return (lines must end in LF or CRLF)");

    CHECK_STR(ERR("a = \"x\x01y\"\n"),
              "test.toml:1: control character U+0001 is not allowed");
    CHECK_STR(ERR("a = 1\n# del \x7f\n"),
              "test.toml:2: control character U+007F is not allowed");
    CHECK_STR(ERR("a = 1\n\nb = '\0'\n"),
              "test.toml:3: control character U+0000 is not allowed");
    CHECK_STR(ERR("a = '''\x0b'''\n"),
              "test.toml:1: control character U+000B is not allowed");
    CHECK_STR(ERR("a = 1\x0c\n"),
              "test.toml:1: control character U+000C is not allowed");
    CHECK_STR(ERR("a = 1\n\x1b[0m = 2\n"),
              "test.toml:2: control character U+001B is not allowed");
}

static void test_limits(void)
{
    size_t n = KQ_TOML_MAX_SIZE + 1, i;
    char *big = malloc(n);
    kq_toml_doc doc;
    kq_error err = {{0}};

    CHECK(big != NULL);
    if (!big)
        return;
    /* Exactly the limit parses; one byte more does not. */
    memset(big, '#', n);
    for (i = 4095; i < n; i += 4096)
        big[i] = '\n';
    CHECK_INT(kq_toml_parse(big, n - 1, "big.toml", &doc, &err), 0);
    kq_toml_free(&doc);
    CHECK_INT(kq_toml_parse(big, n, "big.toml", &doc, &err), -EFBIG);
    CHECK_STR(err.msg, "big.toml: file too large (the limit is 1 MiB)");
    CHECK(doc.entries == NULL);

    /* Many keys in one table stay fast (hashed lookups). */
    {
        char line[32];
        size_t pos = 0, k;

        for (k = 0; pos + 32 < KQ_TOML_MAX_SIZE; k++) {
            int len = snprintf(line, sizeof line, "k%zu = %zu\n", k, k);

            memcpy(big + pos, line, (size_t)len);
            pos += (size_t)len;
        }
        CHECK_INT(kq_toml_parse(big, pos, "many.toml", &doc, &err), 0);
        CHECK_INT(doc.count, k);
        CHECK_INT(GET(&doc, "", "k12345", KQ_TOML_INTEGER)->integer, 12345);
        kq_toml_free(&doc);
        memcpy(big + pos, "k7 = 1\n", 7);
        CHECK_INT(kq_toml_parse(big, pos + 7, "many.toml", &doc, &err),
                  -EINVAL);
        snprintf(line, sizeof line, "many.toml:%zu: ", k + 1);
        CHECK(strncmp(err.msg, line, strlen(line)) == 0);
    }
    free(big);

    /* A NULL file name and a NULL error are allowed. */
    CHECK_INT(kq_toml_parse("a = ", 4, NULL, &doc, &err), -EINVAL);
    CHECK_STR(err.msg, "<input>:1: missing value for key \"a\"");
    CHECK_INT(kq_toml_parse("a = ", 4, NULL, &doc, NULL), -EINVAL);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        data_dir = argv[1];
    test_template();
    test_readme_examples();
    test_load_errors();
    test_strings();
    test_integers();
    test_floats();
    test_booleans_and_types();
    test_keys();
    test_tables();
    test_crlf_and_comments();
    test_syntax_errors();
    test_string_errors();
    test_unsupported();
    test_number_errors();
    test_unquoted_strings();
    test_definition_errors();
    test_byte_errors();
    test_limits();
    KQ_TEST_DONE();
}
