/* ppofw reliability tests — bad checkpoints through `ppofw run --resume` and `ppofw eval`.
 *
 * A good run is trained first; from its newest checkpoint the tests make damaged copies
 * (truncated at several offsets, one bit flipped at several places, the format version raised
 * to a future one with a valid checksum) and take checkpoints of other pipelines (another env;
 * the same env with another gamma). Each must be refused by `ppofw run --resume FILE` and by
 * `ppofw eval --checkpoint FILE` with exit 5, a message naming the file, the reason and what to
 * do, and no change to the good run directory or to the file itself. Resuming a run directory
 * whose newest checkpoint is damaged is refused the same way. The core's own tests check damage
 * at every byte through the API (tests/core/test_ppo_trainer.c); these check the program.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ppo_crc32c_private.h"
#include "rel_util.h"

static const char *pipeline_text(const char *env, const char *gamma)
{
    static char buf[1024];
    g_snprintf(buf, sizeof(buf),
               "name: rel-ckpt\n"
               "seed: 4\n"
               "env: {plugin: %s, num_envs: 2}\n"
               "policy: {plugin: mlp, params: {pi_hidden: [16], vf_hidden: [16]}}\n"
               "advantage: {plugin: gae, params: {gamma: %s, lambda: 0.95}}\n"
               "optimizer: {plugin: adam}\n"
               "ppo: {total_steps: 128, rollout_steps: 32, epochs: 1, minibatches: 2}\n"
               "checkpoint: {every_seconds: null, every_steps: 64, keep: 100}\n",
               env, gamma);
    return buf;
}

typedef struct {
    char *dir;      /* temp dir */
    char *pipeline; /* cartpole pipeline */
    char *run_dir;  /* its good run */
    char *good;     /* newest checkpoint of the good run */
    rel_snapshot_t *snap;
} fixture_t;

static void train(const char *pipeline, const char *run_dir)
{
    rel_proc_t p;
    rel_opts_t o = {0};
    rel_run(&p, &o, "run", pipeline, "--run-dir", run_dir, "-q", NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
}

static void fixture_init(fixture_t *f)
{
    f->dir = ppo_test_tmpdir();
    f->pipeline = rel_write(f->dir, "cartpole.yaml", pipeline_text("cartpole", "0.99"));
    f->run_dir = g_build_filename(f->dir, "run", NULL);
    train(f->pipeline, f->run_dir);
    f->good = rel_latest_checkpoint(f->run_dir);
    ck_assert_ptr_nonnull(f->good);
    f->snap = rel_snapshot(f->run_dir);
}

static void fixture_clear(fixture_t *f)
{
    rel_snapshot_free(f->snap);
    ppo_test_rm_tree(f->dir);
    g_free(f->dir);
    g_free(f->pipeline);
    g_free(f->run_dir);
    g_free(f->good);
}

/* Write a modified copy of the good checkpoint as DIR/bad/NAME (transfer full). */
static char *bad_copy(const fixture_t *f, const char *name, const guint8 *data, gsize len)
{
    char *bad_dir = g_build_filename(f->dir, "bad", NULL);
    g_mkdir_with_parents(bad_dir, 0755);
    char *path = g_build_filename(bad_dir, name, NULL);
    GError *error = NULL;
    ck_assert_msg(g_file_set_contents(path, (const char *)data, (gssize)len, &error), "%s",
                  error != NULL ? error->message : "");
    g_free(bad_dir);
    return path;
}

/* `ppofw run --resume BAD --run-dir GOOD_RUN` and `ppofw eval [PIPELINE] --checkpoint BAD` both
 * exit 5 with the file and each part in the message; nothing changes on disk. */
static void expect_refused(const fixture_t *f, const char *bad, const char *eval_pipeline,
                           const char *const *parts)
{
    gsize len;
    char *before = rel_read(bad, &len);
    rel_opts_t o = {0};
    rel_proc_t p;
    for (int cmd = 0; cmd < 2; cmd++) {
        if (cmd == 0)
            rel_run(&p, &o, "run", f->pipeline, "--resume", bad, "--run-dir", f->run_dir, "-q",
                    NULL);
        else if (eval_pipeline != NULL)
            rel_run(&p, &o, "eval", eval_pipeline, "--checkpoint", bad, "--episodes", "2", NULL);
        else
            rel_run(&p, &o, "eval", "--checkpoint", bad, "--episodes", "2", NULL);
        char *with_file = g_strdup_printf("ppofw: %s: ", bad);
        rel_expect(&p, 5, with_file, NULL);
        for (const char *const *part = parts; *part != NULL; part++)
            ck_assert_msg(strstr(p.err, *part) != NULL, "%s: stderr lacks \"%s\":\n%s",
                          cmd == 0 ? "run --resume" : "eval", *part, p.err);
        ck_assert_msg(p.out[0] == '\0', "stdout is not empty: %s", p.out);
        g_free(with_file);
        rel_proc_clear(&p);
    }
    rel_assert_preserved(f->snap);
    gsize after_len;
    char *after = rel_read(bad, &after_len);
    ck_assert_msg(after_len == len && memcmp(after, before, len) == 0, "%s was modified", bad);
    g_free(after);
    g_free(before);
}

START_TEST(test_good_checkpoint_resumes_and_evaluates)
{
    fixture_t f;
    fixture_init(&f);
    rel_opts_t o = {0};
    rel_proc_t p;
    rel_run(&p, &o, "eval", "--checkpoint", f.good, "--episodes", "2", NULL);
    rel_expect(&p, 0, NULL);
    ck_assert_ptr_nonnull(strstr(p.out, "2 episodes"));
    rel_proc_clear(&p);
    rel_run(&p, &o, "run", f.pipeline, "--resume", f.run_dir, "--set", "ppo.total_steps=192", "-q",
            NULL);
    rel_expect(&p, 0, NULL);
    rel_proc_clear(&p);
    rel_assert_preserved(f.snap);
    fixture_clear(&f);
}
END_TEST

/* cut points: empty, inside the magic, just after the header, inside INFO, the middle, just
 * before the checksum, the last byte missing */
static const int cuts[] = {0, 5, 24, 100, -2, -4, -1};

START_TEST(test_truncated_checkpoint_is_refused_with_exit_5)
{
    fixture_t f;
    fixture_init(&f);
    gsize len;
    char *data = rel_read(f.good, &len);
    const gsize cut = cuts[_i] >= 0 ? (gsize)cuts[_i] : cuts[_i] == -2 ? len / 2 : len + cuts[_i];
    char *name = g_strdup_printf("trunc-%zu.ckpt", (size_t)cut);
    char *bad = bad_copy(&f, name, (const guint8 *)data, cut);
    const char *why = cut < 28 ? "too short to be a checkpoint (truncated?)"
                               : "its checksum does not match (truncated or modified)";
    const char *parts[] = {why, "resume from another checkpoint in the same directory", NULL};
    expect_refused(&f, bad, NULL, parts);
    g_free(bad);
    g_free(name);
    g_free(data);
    fixture_clear(&f);
}
END_TEST

/* flipped bits: in the magic, the byte-order mark, a section tag, a section length, INFO text,
 * the parameters, the last section, the checksum */
static const int flips[] = {0, 12, 24, 30, 40, -2, -6, -1};

START_TEST(test_bit_flipped_checkpoint_is_refused_with_exit_5)
{
    fixture_t f;
    fixture_init(&f);
    gsize len;
    guint8 *data = (guint8 *)rel_read(f.good, &len);
    const gsize at = flips[_i] >= 0    ? (gsize)flips[_i]
                     : flips[_i] == -2 ? len / 2
                                       : len + flips[_i];
    data[at] ^= 0x10;
    char *name = g_strdup_printf("flip-%zu.ckpt", (size_t)at);
    char *bad = bad_copy(&f, name, data, len);
    const char *parts[] = {"the file is damaged or not a ppofw checkpoint",
                           "resume from another checkpoint in the same directory", NULL};
    expect_refused(&f, bad, NULL, parts);
    g_free(bad);
    g_free(name);
    g_free(data);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_checkpoint_of_a_future_format_is_refused_with_exit_5)
{
    fixture_t f;
    fixture_init(&f);
    gsize len;
    guint8 *data = (guint8 *)rel_read(f.good, &len);
    const uint32_t future = 2;
    memcpy(data + 8, &future, 4);
    /* a well-formed file of that format: the checksum is right */
    const uint32_t crc = ppo_crc32c_update(0, data, len - 4);
    memcpy(data + len - 4, &crc, 4);
    char *bad = bad_copy(&f, "future.ckpt", data, len);
    const char *parts[] = {"checkpoint format 2 is newer than this ppofw reads (1)",
                           "upgrade ppofw", NULL};
    expect_refused(&f, bad, NULL, parts);
    g_free(bad);
    g_free(data);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_checkpoint_of_another_env_is_refused_with_exit_5)
{
    fixture_t f;
    fixture_init(&f);
    char *other = rel_write(f.dir, "pendulum.yaml", pipeline_text("pendulum", "0.99"));
    char *other_run = g_build_filename(f.dir, "pendulum-run", NULL);
    train(other, other_run);
    char *ckpt = rel_latest_checkpoint(other_run);
    /* run --resume: the plugin differs; eval with the cartpole pipeline: the sizes differ */
    rel_opts_t o = {0};
    rel_proc_t p;
    rel_run(&p, &o, "run", f.pipeline, "--resume", ckpt, "--run-dir", f.run_dir, "-q", NULL);
    char *head = g_strdup_printf("ppofw: %s: written for env plugin \"pendulum\", this pipeline "
                                 "uses \"cartpole\"; use the pipeline the checkpoint came from",
                                 ckpt);
    rel_expect(&p, 5, head, NULL);
    g_free(head);
    rel_proc_clear(&p);
    rel_run(&p, &o, "eval", f.pipeline, "--checkpoint", ckpt, "--episodes", "2", NULL);
    head = g_strdup_printf("ppofw: %s: written for observations of 3 components, env "
                           "\"cartpole\" has 4; use the pipeline the checkpoint came from",
                           ckpt);
    rel_expect(&p, 5, head, NULL);
    g_free(head);
    rel_proc_clear(&p);
    rel_assert_preserved(f.snap);
    g_free(ckpt);
    g_free(other_run);
    g_free(other);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_checkpoint_of_another_gamma_is_refused_on_resume_with_exit_5)
{
    fixture_t f;
    fixture_init(&f);
    char *other = rel_write(f.dir, "gamma.yaml", pipeline_text("cartpole", "0.9"));
    char *other_run = g_build_filename(f.dir, "gamma-run", NULL);
    train(other, other_run);
    char *ckpt = rel_latest_checkpoint(other_run);
    rel_snapshot_t *other_snap = rel_snapshot(other_run);
    rel_opts_t o = {0};
    rel_proc_t p;
    rel_run(&p, &o, "run", f.pipeline, "--resume", ckpt, "--run-dir", f.run_dir, "-q", NULL);
    char *head = g_strdup_printf("ppofw: %s: the checkpoint's pipeline has "
                                 "\"advantage.params.gamma: ",
                                 ckpt);
    rel_expect(&p, 5, head, "gamma: 0.9", "gamma: 0.99",
               "only ppo.total_steps may change on resume", NULL);
    g_free(head);
    rel_proc_clear(&p);
    rel_assert_preserved(f.snap);
    rel_assert_preserved(other_snap);
    rel_snapshot_free(other_snap);
    g_free(ckpt);
    g_free(other_run);
    g_free(other);
    fixture_clear(&f);
}
END_TEST

START_TEST(test_resuming_a_run_dir_with_a_damaged_newest_checkpoint_exits_5)
{
    fixture_t f;
    fixture_init(&f);
    gsize len;
    char *data = rel_read(f.good, &len);
    GError *error = NULL;
    ck_assert(g_file_set_contents(f.good, data, (gssize)(len - 100), &error));
    rel_snapshot_t *damaged = rel_snapshot(f.run_dir);
    rel_opts_t o = {0};
    rel_proc_t p;
    rel_run(&p, &o, "run", f.pipeline, "--resume", f.run_dir, "-q", NULL);
    char *head = g_strdup_printf("ppofw: %s: its checksum does not match", f.good);
    rel_expect(&p, 5, head, "resume from another checkpoint in the same directory", NULL);
    g_free(head);
    rel_proc_clear(&p);
    rel_assert_preserved(damaged);
    rel_snapshot_free(damaged);
    g_free(data);
    fixture_clear(&f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rel_checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_good_checkpoint_resumes_and_evaluates);
    tcase_add_loop_test(tc, test_truncated_checkpoint_is_refused_with_exit_5, 0,
                        G_N_ELEMENTS(cuts));
    tcase_add_loop_test(tc, test_bit_flipped_checkpoint_is_refused_with_exit_5, 0,
                        G_N_ELEMENTS(flips));
    tcase_add_test(tc, test_checkpoint_of_a_future_format_is_refused_with_exit_5);
    tcase_add_test(tc, test_checkpoint_of_another_env_is_refused_with_exit_5);
    tcase_add_test(tc, test_checkpoint_of_another_gamma_is_refused_on_resume_with_exit_5);
    tcase_add_test(tc, test_resuming_a_run_dir_with_a_damaged_newest_checkpoint_exits_5);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ppo_test_run(suite());
}
