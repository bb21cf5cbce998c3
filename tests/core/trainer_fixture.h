/* ppofw tests — a trainer made from pipeline text, for the suites of the training loop
 * (test_ppo_trainer.c, test_ppo_semantics.c): open it with --set overrides, run iterations whose
 * metrics rows compare bit for bit (the wall-clock columns zeroed), close it. Each helper fails
 * the running test with the error's message. */
#ifndef TRAINER_FIXTURE_H
#define TRAINER_FIXTURE_H

#include "ppo_session_private.h"
#include "ppo_trainer_private.h"

typedef struct {
    ppo_search_t *search;
    ppo_pipeline_t *pipeline;
    ppo_session_t *session;
    ppo_trainer_t *trainer;
} fixture_t;

/* Parse `text` with `overrides` (NULL-terminated "key=value", may be NULL), open its plugins and
 * build the trainer. */
void open_trainer(fixture_t *f, const char *text, const char *const *overrides);
void close_trainer(fixture_t *f);

/* One iteration; time_s and sps, the only columns allowed to differ between identical runs,
 * are zeroed. */
void iterate(fixture_t *f, ppo_metrics_row_t *row);

#endif /* TRAINER_FIXTURE_H */
