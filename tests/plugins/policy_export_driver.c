/* policy_export_driver — the small program the policy tests (tests/plugins/test_mlp.c,
 * test_cnn.c, test_lstm.c, through pt_export_run in policy_test.c) build around the C file a
 * policy's export_c writes, included here as "policy.c" so that the contract's macros
 * (PPO_EXPORT_CONTRACT in <ppofw/policy.h>) shape the program: it reads observations, prints the
 * exported policy's actions and, for a recurrent policy, carries its state, so the test can
 * compare them with the plugin's own deterministic act.
 *
 * Usage: policy_export_driver IN OUT. Each record of IN is, for a recurrent policy
 * (PPO_POLICY_STATE_SIZE defined), an episode-start flag (0 or 1, ppo_policy_reset before the
 * step when 1), then PPO_POLICY_OBS_DIM values (decimal or hexadecimal; byte values 0..255 for a
 * uint8 space). OUT gets one line per record: the action (an index, PPO_POLICY_ACT_DIM indices,
 * or PPO_POLICY_ACT_DIM hexadecimal doubles), then for a recurrent policy " |" and the state's
 * floats in hexadecimal after the step. Plain C99, like the file it drives.
 */
#include <stdio.h>

#include "policy.c"

#ifdef PPO_POLICY_STATE_SIZE
#define STATE_ARG , state
#else
#define STATE_ARG
#endif

int main(int argc, char **argv)
{
#ifdef PPO_POLICY_STATE_SIZE
    static float state[PPO_POLICY_STATE_SIZE];
#endif
#ifdef PPO_POLICY_OBS_UINT8
    static unsigned char obs[PPO_POLICY_OBS_DIM];
#else
    static double obs[PPO_POLICY_OBS_DIM];
#endif
    FILE *in, *out;
    int i;
    if (argc != 3)
        return 2;
    in = fopen(argv[1], "r");
    out = fopen(argv[2], "w");
    if (in == NULL || out == NULL)
        return 2;
    for (;;) {
        double x;
#ifdef PPO_POLICY_STATE_SIZE
        int start;
        if (fscanf(in, "%d", &start) != 1)
            return fclose(out) == 0 && fclose(in) == 0 ? 0 : 2;
        if (start)
            ppo_policy_reset(state);
#endif
        for (i = 0; i < PPO_POLICY_OBS_DIM; i++) {
            if (fscanf(in, "%la", &x) != 1)
                return i == 0 && fclose(out) == 0 && fclose(in) == 0 ? 0 : 2;
#ifdef PPO_POLICY_OBS_UINT8
            if (!(x >= 0 && x <= 255))
                return 2;
            obs[i] = (unsigned char)x;
#else
            obs[i] = x;
#endif
        }
#if defined(PPO_POLICY_N_ACTIONS)
        fprintf(out, "%d", ppo_policy_act(obs STATE_ARG));
#elif defined(PPO_POLICY_NVEC)
        {
            int action[PPO_POLICY_ACT_DIM];
            ppo_policy_act(obs, action STATE_ARG);
            for (i = 0; i < PPO_POLICY_ACT_DIM; i++)
                fprintf(out, "%s%d", i > 0 ? " " : "", action[i]);
        }
#else
        {
            double action[PPO_POLICY_ACT_DIM];
            ppo_policy_act(obs, action STATE_ARG);
            for (i = 0; i < PPO_POLICY_ACT_DIM; i++)
                fprintf(out, "%s%a", i > 0 ? " " : "", action[i]);
        }
#endif
#ifdef PPO_POLICY_STATE_SIZE
        fprintf(out, " |");
        for (i = 0; i < PPO_POLICY_STATE_SIZE; i++)
            fprintf(out, " %a", (double)state[i]);
#endif
        fprintf(out, "\n");
    }
}
