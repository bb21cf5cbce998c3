/* ppofw core — the PPO losses and their derivatives per sample (see ppo_objective_private.h).
 * Leaves out advantage normalization (done per minibatch or batch before this is called). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ppo_objective_private.h"

void ppo_objective_eval(const ppo_objective_cfg_t *cfg, uint32_t n, const float *logp,
                        const float *old_logp, const float *adv, const float *entropy,
                        const float *kl, const float *value, const float *old_value,
                        const float *ret, float *dlogp, float *dentropy, float *dkl, float *dvalue,
                        ppo_objective_sums_t *sums)
{
    memset(sums, 0, sizeof(*sums));
    const double ib = cfg->inv_batch;
    const double lo = 1.0 - cfg->clip, hi = 1.0 + cfg->clip;
    const bool use_kl = kl != NULL &&
                        (cfg->kind == PPO_OBJECTIVE_KL_PENALTY || cfg->kind == PPO_OBJECTIVE_KL_FIXED);
    const bool vclip = !isnan(cfg->vf_clip);
    for (uint32_t i = 0; logp != NULL && i < n; i++) {
        const double logratio = (double)logp[i] - (double)old_logp[i];
        const double r = exp(logratio);
        const double a = adv[i];

        /* policy term */
        double term, d_r;
        if (cfg->kind == PPO_OBJECTIVE_CLIP) {
            const double rc = r < lo ? lo : r > hi ? hi : r;
            const double unclipped = a * r, clipped = a * rc;
            if (unclipped <= clipped) {
                term = -unclipped;
                d_r = -a;
            } else {
                term = -clipped;
                d_r = 0.0;
            }
        } else {
            term = -a * r;
            d_r = -a;
        }
        sums->policy_loss += term;
        dlogp[i] = (float)(d_r * r * ib);

        /* entropy bonus and KL penalty */
        sums->entropy += entropy[i];
        dentropy[i] = (float)(-cfg->ent_coef * ib);
        if (kl != NULL)
            sums->kl += kl[i];
        if (dkl != NULL)
            dkl[i] = use_kl ? (float)(cfg->beta * ib) : 0.0f;

        /* statistics */
        sums->approx_kl += (r - 1.0) - logratio;
        sums->clipped += fabs(r - 1.0) > cfg->clip ? 1.0 : 0.0;
    }
    for (uint32_t i = 0; value != NULL && i < n; i++) {
        /* value term */
        const double v = value[i], target = ret[i];
        double vloss, dv;
        if (vclip) {
            const double vo = old_value[i];
            const double diff = v - vo;
            const double vc = vo + (diff < -cfg->vf_clip ? -cfg->vf_clip
                                    : diff > cfg->vf_clip ? cfg->vf_clip
                                                          : diff);
            const double l1 = (v - target) * (v - target), l2 = (vc - target) * (vc - target);
            if (l1 >= l2) {
                vloss = l1;
                dv = v - target;
            } else {
                vloss = l2;
                /* d vc / d v is 1 inside the clip range, 0 outside */
                dv = fabs(diff) <= cfg->vf_clip ? vc - target : 0.0;
            }
        } else {
            vloss = (v - target) * (v - target);
            dv = v - target;
        }
        sums->value_loss += vloss;
        /* d/dv of k (v - R)^2 is 2 k (v - R) */
        dvalue[i] = (float)(cfg->vf_coef * 2.0 * cfg->vf_half * dv * ib);
    }
    sums->n = logp != NULL ? n : 0;
}

double ppo_objective_loss(const ppo_objective_cfg_t *cfg, const ppo_objective_sums_t *sums)
{
    double loss = (sums->policy_loss + cfg->vf_coef * cfg->vf_half * sums->value_loss -
                   cfg->ent_coef * sums->entropy) *
                  cfg->inv_batch;
    if (cfg->kind == PPO_OBJECTIVE_KL_PENALTY || cfg->kind == PPO_OBJECTIVE_KL_FIXED)
        loss += cfg->beta * sums->kl * cfg->inv_batch;
    return loss;
}

double ppo_kl_beta_update(double beta, double mean_kl, double target)
{
    if (mean_kl < target / 1.5)
        return beta / 2.0;
    if (mean_kl > target * 1.5)
        return beta * 2.0;
    return beta;
}
