/* ppofw core — random streams: xoshiro256** seeded through splitmix64.
 *
 * Every stream of a run is derived from (root seed, tag, index) so that streams with different
 * tags or indices never share state, whatever order they are created in. Not thread-safe per
 * stream; the core hands each stream to one caller at a time.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <ppofw/rng.h>

static uint64_t splitmix64_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; s != NULL && *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void ppo_rng_seed(ppo_rng_t *rng, uint64_t seed, const char *tag, uint64_t index)
{
    /* mix each part through splitmix64 so that nearby seeds and indices decorrelate */
    uint64_t sm = seed;
    uint64_t key = splitmix64_next(&sm);
    sm = key ^ fnv1a64(tag);
    key = splitmix64_next(&sm);
    sm = key ^ (index * UINT64_C(0xD1B54A32D192ED03));
    key = splitmix64_next(&sm);
    sm = key;

    memset(rng, 0, sizeof(*rng));
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64_next(&sm);
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
        rng->s[0] = UINT64_C(0x9E3779B97F4A7C15);
}

uint64_t ppo_rng_next_u64(ppo_rng_t *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ppo_rng_uniform(ppo_rng_t *rng)
{
    return (double)(ppo_rng_next_u64(rng) >> 11) * 0x1.0p-53;
}

double ppo_rng_uniform_range(ppo_rng_t *rng, double low, double high)
{
    return low + (high - low) * ppo_rng_uniform(rng);
}

uint64_t ppo_rng_below(ppo_rng_t *rng, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* reject the top partial block so every value is equally likely */
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = ppo_rng_next_u64(rng);
    } while (x >= limit);
    return x % n;
}

double ppo_rng_normal(ppo_rng_t *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare_normal;
    }
    /* u1 in (0, 1] so the log is finite */
    const double u1 = 1.0 - ppo_rng_uniform(rng);
    const double u2 = ppo_rng_uniform(rng);
    const double r = sqrt(-2.0 * log(u1));
    const double theta = 2.0 * M_PI * u2;
    rng->spare_normal = r * sin(theta);
    rng->has_spare = 1;
    return r * cos(theta);
}
