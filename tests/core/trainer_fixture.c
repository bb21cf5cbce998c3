/* ppofw tests — a trainer made from pipeline text (see trainer_fixture.h). */
#include "config.h"

#include <string.h>

#include "ppo_test.h"
#include "trainer_fixture.h"

void open_trainer(fixture_t *f, const char *text, const char *const *overrides)
{
    GError *error = NULL;
    f->search = ppo_search_new(NULL);
    f->pipeline = ppo_pipeline_parse("test.yaml", ".", text, strlen(text), overrides, &error);
    ck_assert_msg(f->pipeline != NULL, "%s", error != NULL ? error->message : "");
    f->session = ppo_session_open(f->pipeline, f->search, &error);
    ck_assert_msg(f->session != NULL, "%s", error != NULL ? error->message : "");
    f->trainer = ppo_trainer_new(f->session, &error);
    ck_assert_msg(f->trainer != NULL, "%s", error != NULL ? error->message : "");
}

void close_trainer(fixture_t *f)
{
    ppo_trainer_free(f->trainer);
    ppo_session_free(f->session);
    ppo_pipeline_free(f->pipeline);
    ppo_search_free(f->search);
}

void iterate(fixture_t *f, ppo_metrics_row_t *row)
{
    GError *error = NULL;
    ck_assert_msg(ppo_trainer_iterate(f->trainer, row, &error), "%s",
                  error != NULL ? error->message : "");
    /* wall-clock columns are the only ones allowed to differ between identical runs */
    row->time_s = row->sps = 0.0;
}
