/* lstm_export_driver — the small program tests/plugins/test_lstm.c builds around the C file that
 * a recurrent policy's export_c writes (included here as "policy.c", so the contract's macros
 * drive the program): it steps the exported policy through a stream of observations, carrying
 * its state and resetting it at episode starts, and prints each action and the state after it.
 *
 * Usage: lstm_export_driver IN OUT. Each record of IN is an episode-start flag (0 or 1) and
 * PPO_POLICY_OBS_DIM values (hexadecimal doubles, or integers 0..255 for a uint8 space); OUT gets
 * one line per record: the action (an index, PPO_POLICY_ACT_DIM indices, or PPO_POLICY_ACT_DIM
 * hexadecimal doubles), then " |" and the PPO_POLICY_STATE_SIZE state floats in hexadecimal.
 * Plain C99, like the file it drives.
 */
#include <stdio.h>

#include "policy.c"

int main(int argc, char **argv)
{
    static float state[PPO_POLICY_STATE_SIZE];
#ifdef PPO_POLICY_OBS_UINT8
    unsigned char obs[PPO_POLICY_OBS_DIM];
#else
    double obs[PPO_POLICY_OBS_DIM];
#endif
    FILE *in, *out;
    int i, start;
    if (argc != 3)
        return 2;
    in = fopen(argv[1], "r");
    out = fopen(argv[2], "w");
    if (in == NULL || out == NULL)
        return 2;
    for (;;) {
        if (fscanf(in, "%d", &start) != 1)
            return fclose(out) == 0 && fclose(in) == 0 ? 0 : 2;
        for (i = 0; i < PPO_POLICY_OBS_DIM; i++) {
#ifdef PPO_POLICY_OBS_UINT8
            unsigned v;
            if (fscanf(in, "%u", &v) != 1 || v > 255)
                return 2;
            obs[i] = (unsigned char)v;
#else
            if (fscanf(in, "%la", &obs[i]) != 1)
                return 2;
#endif
        }
        if (start)
            ppo_policy_reset(state);
#if defined(PPO_POLICY_N_ACTIONS)
        fprintf(out, "%d", ppo_policy_act(obs, state));
#elif defined(PPO_POLICY_NVEC)
        {
            int action[PPO_POLICY_ACT_DIM];
            ppo_policy_act(obs, action, state);
            for (i = 0; i < PPO_POLICY_ACT_DIM; i++)
                fprintf(out, "%s%d", i > 0 ? " " : "", action[i]);
        }
#else
        {
            double action[PPO_POLICY_ACT_DIM];
            ppo_policy_act(obs, action, state);
            for (i = 0; i < PPO_POLICY_ACT_DIM; i++)
                fprintf(out, "%s%a", i > 0 ? " " : "", action[i]);
        }
#endif
        fprintf(out, " |");
        for (i = 0; i < PPO_POLICY_STATE_SIZE; i++)
            fprintf(out, " %a", (double)state[i]);
        fprintf(out, "\n");
    }
}
