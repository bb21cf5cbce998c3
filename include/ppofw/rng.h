/* ppofw — random streams.
 *
 * Randomness is the core's: the core derives every stream from the pipeline's root seed and hands
 * a ppo_rng_t to each callback that needs one (an env's reset and step, a policy's act and
 * reset_noise). Plugins never keep generators of their own, so every stream is checkpointed with
 * the run and every run is reproducible.
 *
 * The generator is xoshiro256** seeded through splitmix64. A stream is not thread-safe: the core
 * hands each stream to one callback at a time.
 */
#ifndef PPOFW_RNG_H
#define PPOFW_RNG_H

#include <stdint.h>

#include <ppofw/export.h>

PPO_BEGIN_DECLS

/* One random stream. The fields are public so the core can store streams in arrays and save
 * them; plugins use the functions below and never touch the fields (ABI 1.0). */
typedef struct ppo_rng {
    uint64_t s[4];       /* xoshiro256** state; never all zero */
    double spare_normal; /* second value of the last Box-Muller pair */
    uint32_t has_spare;  /* 1 when spare_normal holds an unused value */
    uint32_t reserved;   /* zero */
} ppo_rng_t;

/* Seed a stream from (seed, tag, index) through splitmix64, so streams with different tags or
 * indices are independent. tag is a short name such as "env", "act", "init" or "shuffle". */
PPO_API void ppo_rng_seed(ppo_rng_t *rng, uint64_t seed, const char *tag, uint64_t index);

/* The next 64 random bits. */
PPO_API uint64_t ppo_rng_next_u64(ppo_rng_t *rng);

/* A double uniform in [0, 1), with 53 random bits. */
PPO_API double ppo_rng_uniform(ppo_rng_t *rng);

/* A double uniform in [low, high). */
PPO_API double ppo_rng_uniform_range(ppo_rng_t *rng, double low, double high);

/* An integer uniform in [0, n) for n >= 1, without modulo bias. */
PPO_API uint64_t ppo_rng_below(ppo_rng_t *rng, uint64_t n);

/* A standard normal double (Box-Muller; the second value of each pair is kept for the next call). */
PPO_API double ppo_rng_normal(ppo_rng_t *rng);

PPO_END_DECLS

#endif /* PPOFW_RNG_H */
