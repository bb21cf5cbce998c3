/* mlp_export_driver — the small program tests/plugins/test_mlp.c builds around the C file that
 * the mlp policy's export_c writes: it reads observations and prints the exported policy's
 * actions, so the test can compare them with the plugin's own deterministic act.
 *
 * Usage: mlp_export_driver IN OUT. IN holds MLP_DRIVER_OBS_DIM hexadecimal doubles per
 * observation (built with -DMLP_DRIVER_UINT8, byte values handed over as unsigned char); OUT gets
 * one line per observation: the action index (built with -DMLP_DRIVER_DISCRETE), the
 * MLP_DRIVER_MULTI component indices (multi-discrete), or MLP_DRIVER_ACT_DIM hexadecimal doubles.
 * Plain C99, like the file it drives. Left out: everything else.
 */
#include <stdio.h>

#ifdef MLP_DRIVER_UINT8
#define OBS_T unsigned char
#else
#define OBS_T double
#endif

#if defined(MLP_DRIVER_DISCRETE)
int ppo_policy_act(const OBS_T *obs);
#elif defined(MLP_DRIVER_MULTI)
void ppo_policy_act(const OBS_T *obs, int *action);
#else
void ppo_policy_act(const OBS_T *obs, double *action);
#endif

int main(int argc, char **argv)
{
    double read[MLP_DRIVER_OBS_DIM];
    OBS_T obs[MLP_DRIVER_OBS_DIM];
    FILE *in, *out;
    int i;
    if (argc != 3)
        return 2;
    in = fopen(argv[1], "r");
    out = fopen(argv[2], "w");
    if (in == NULL || out == NULL)
        return 2;
    for (;;) {
        for (i = 0; i < MLP_DRIVER_OBS_DIM; i++) {
            if (fscanf(in, "%la", &read[i]) != 1)
                return fclose(out) == 0 && fclose(in) == 0 ? 0 : 2;
            obs[i] = (OBS_T)read[i];
        }
#if defined(MLP_DRIVER_DISCRETE)
        fprintf(out, "%d\n", ppo_policy_act(obs));
#elif defined(MLP_DRIVER_MULTI)
        {
            int action[MLP_DRIVER_MULTI];
            ppo_policy_act(obs, action);
            for (i = 0; i < MLP_DRIVER_MULTI; i++)
                fprintf(out, "%d%c", action[i], i + 1 < MLP_DRIVER_MULTI ? ' ' : '\n');
        }
#else
        {
            double action[MLP_DRIVER_ACT_DIM];
            ppo_policy_act(obs, action);
            for (i = 0; i < MLP_DRIVER_ACT_DIM; i++)
                fprintf(out, "%a%c", action[i], i + 1 < MLP_DRIVER_ACT_DIM ? ' ' : '\n');
        }
#endif
    }
}
