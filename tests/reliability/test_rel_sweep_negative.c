/* ppofw reliability tests — a sweep grid value that is a plain negative number out of range for
 * its key (ppo.clip: [-0.2]) is refused with exit 2 at its file:line:col, and the message does
 * not blame quotes the user never wrote: the sweep hands it to the validator as a plain scalar,
 * as --set does. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rel_util.h"

START_TEST(test_sweep_negative_number_is_not_called_a_quoted_string)
{
    char *dir = ppo_test_tmpdir();
    char *good = ppo_test_data_path("pipelines/good.yaml");
    char *text = g_strdup_printf("name: rel-sweep\nbase: [%s]\ngrid:\n  ppo.clip: [-0.2]\n"
                                 "seeds: [1]\n",
                                 good);
    char *sweep = rel_write(dir, "negative.yaml", text);
    rel_opts_t o = {0};
    rel_proc_t p;
    rel_run(&p, &o, "sweep", sweep, "--check", "-q", NULL);
    char *head = g_strdup_printf("ppofw: %s:4:14: ppo.clip: expected a number in (0, 1], got "
                                 "\"-0.2\"",
                                 sweep);
    rel_expect(&p, 2, head, NULL);
    const bool blames_quotes = strstr(p.err, "quoted string") != NULL;
    char *err = g_strdup(p.err);
    rel_proc_clear(&p);
    /* clean up before asserting */
    g_free(head);
    g_free(sweep);
    g_free(text);
    g_free(good);
    ppo_test_rm_tree(dir);
    g_free(dir);
    ck_assert_msg(!blames_quotes,
                  "the message blames quotes that the sweep file does not have:\n%s", err);
    g_free(err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rel_sweep_negative");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sweep_negative_number_is_not_called_a_quoted_string);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(suite());
}
