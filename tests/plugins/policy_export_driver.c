/* policy_export_driver — the small program the policy tests (tests/plugins/test_mlp.c,
 * test_cnn.c) build around the C file a policy's export_c writes: it reads observations and
 * prints the exported policy's actions, so the test can compare them with the plugin's own
 * deterministic act.
 *
 * Usage: policy_export_driver IN OUT. IN holds POLICY_DRIVER_OBS_DIM values per observation:
 * integers 0..255 (built with -DPOLICY_DRIVER_UINT8=1) or hexadecimal doubles. OUT gets one line
 * per observation: the action index (POLICY_DRIVER_KIND 0, discrete), POLICY_DRIVER_ACT_DIM
 * hexadecimal doubles (1, box) or POLICY_DRIVER_ACT_DIM indices (2, multi-discrete). Plain C99,
 * like the file it drives. Left out: everything else.
 */
#include <stdio.h>

#if POLICY_DRIVER_UINT8
#define OBS_T unsigned char
#else
#define OBS_T double
#endif

#if POLICY_DRIVER_KIND == 0
int ppo_policy_act(const OBS_T *obs);
#elif POLICY_DRIVER_KIND == 1
void ppo_policy_act(const OBS_T *obs, double *action);
#else
void ppo_policy_act(const OBS_T *obs, int *action);
#endif

static OBS_T obs[POLICY_DRIVER_OBS_DIM];

int main(int argc, char **argv)
{
    FILE *in, *out;
    int i;
    if (argc != 3)
        return 2;
    in = fopen(argv[1], "r");
    out = fopen(argv[2], "w");
    if (in == NULL || out == NULL)
        return 2;
    for (;;) {
        for (i = 0; i < POLICY_DRIVER_OBS_DIM; i++) {
#if POLICY_DRIVER_UINT8
            int x;
            if (fscanf(in, "%d", &x) != 1)
                return fclose(out) == 0 && fclose(in) == 0 ? 0 : 2;
            obs[i] = (unsigned char)x;
#else
            if (fscanf(in, "%la", &obs[i]) != 1)
                return fclose(out) == 0 && fclose(in) == 0 ? 0 : 2;
#endif
        }
#if POLICY_DRIVER_KIND == 0
        fprintf(out, "%d\n", ppo_policy_act(obs));
#elif POLICY_DRIVER_KIND == 1
        {
            double action[POLICY_DRIVER_ACT_DIM];
            ppo_policy_act(obs, action);
            for (i = 0; i < POLICY_DRIVER_ACT_DIM; i++)
                fprintf(out, "%a%c", action[i], i + 1 < POLICY_DRIVER_ACT_DIM ? ' ' : '\n');
        }
#else
        {
            int action[POLICY_DRIVER_ACT_DIM];
            ppo_policy_act(obs, action);
            for (i = 0; i < POLICY_DRIVER_ACT_DIM; i++)
                fprintf(out, "%d%c", action[i], i + 1 < POLICY_DRIVER_ACT_DIM ? ' ' : '\n');
        }
#endif
    }
}
