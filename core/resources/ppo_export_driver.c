/* ppofw — the driver `ppofw check-policy` and `ppofw export --verify` compile around the C file a
 * policy's export_c wrote (embedded in libppofw as a resource; core/ppo_export_verify.c writes it
 * next to the file and compiles it with the system's C compiler).
 *
 * It includes the exported file itself, after declaring the prototype PPO_EXPORT_CONTRACT
 * (include/ppofw/policy.h) gives for the spaces, so a file whose ppo_policy_act has another
 * signature, or whose macros are missing or say other sizes, fails to compile with a message
 * naming what differs. Then it reads observations and writes the exported policy's actions, so
 * the checker can compare them with the plugin's deterministic act.
 *
 * Built with, from the checker: -DPPO_DRIVER_KIND=1 (discrete), 2 (box) or 3 (multi-discrete),
 * -DPPO_DRIVER_OBS_DIM=D, -DPPO_DRIVER_ACT_DIM=A, -DPPO_DRIVER_N_ACTIONS=n (discrete),
 * -DPPO_DRIVER_NVEC={n0,n1,...} (multi-discrete), -DPPO_DRIVER_UINT8=0 or 1,
 * -DPPO_DRIVER_STATE_SIZE=S (0: no memory), and -DPPO_DRIVER_HEADER=1 to include "policy.h" (what
 * `ppofw export --header` wrote) first.
 *
 * Usage: driver IN OUT. Each line of IN is an episode-start flag (0 or 1; at 1 a recurrent
 * policy's state is reset with ppo_policy_reset) and D observation elements (hexadecimal doubles,
 * or integers for uint8). Each line of OUT is the action: the index, A hexadecimal doubles, or A
 * indices. Exits 0, 2 on bad input, 3 when a macro's value differs. Plain C99, like the file.
 */
#include <stdio.h>
#include <stdlib.h>

#if PPO_DRIVER_UINT8
#define PPO_DRIVER_OBS const unsigned char *obs
#else
#define PPO_DRIVER_OBS const double *obs
#endif

#if PPO_DRIVER_STATE_SIZE > 0
#define PPO_DRIVER_STATE , float *state
void ppo_policy_reset(float *state);
#else
#define PPO_DRIVER_STATE
#endif

/* the contract's prototype: a definition with another signature does not compile */
#if PPO_DRIVER_KIND == 1
int ppo_policy_act(PPO_DRIVER_OBS PPO_DRIVER_STATE);
#elif PPO_DRIVER_KIND == 2
void ppo_policy_act(PPO_DRIVER_OBS, double *action PPO_DRIVER_STATE);
#else
void ppo_policy_act(PPO_DRIVER_OBS, int *action PPO_DRIVER_STATE);
#endif

/* the --header file: the same prototype (a conflict does not compile) and macro values */
#if PPO_DRIVER_HEADER
#include "policy.h"
#if !defined(PPO_POLICY_OBS_DIM) || PPO_POLICY_OBS_DIM != PPO_DRIVER_OBS_DIM
#error "PPO_EXPORT_CONTRACT: the header's PPO_POLICY_OBS_DIM is missing or wrong"
#endif
#if !defined(PPO_POLICY_ACT_DIM) || PPO_POLICY_ACT_DIM != PPO_DRIVER_ACT_DIM
#error "PPO_EXPORT_CONTRACT: the header's PPO_POLICY_ACT_DIM is missing or wrong"
#endif
#if PPO_DRIVER_KIND == 1 &&                                                                        \
    (!defined(PPO_POLICY_N_ACTIONS) || PPO_POLICY_N_ACTIONS != PPO_DRIVER_N_ACTIONS)
#error "PPO_EXPORT_CONTRACT: the header's PPO_POLICY_N_ACTIONS is missing or wrong"
#endif
#if PPO_DRIVER_UINT8 != defined(PPO_POLICY_OBS_UINT8)
#error "PPO_EXPORT_CONTRACT: the header's PPO_POLICY_OBS_UINT8 disagrees with the observations"
#endif
#if PPO_DRIVER_STATE_SIZE > 0 &&                                                                   \
    (!defined(PPO_POLICY_STATE_SIZE) || PPO_POLICY_STATE_SIZE != PPO_DRIVER_STATE_SIZE)
#error "PPO_EXPORT_CONTRACT: the header's PPO_POLICY_STATE_SIZE is missing or wrong"
#endif
#if PPO_DRIVER_KIND == 3
static const int ppo_driver_header_nvec[] = PPO_POLICY_NVEC;
#endif
#undef PPO_POLICY_OBS_DIM
#undef PPO_POLICY_ACT_DIM
#undef PPO_POLICY_N_ACTIONS
#undef PPO_POLICY_NVEC
#undef PPO_POLICY_OBS_UINT8
#undef PPO_POLICY_STATE_SIZE
#endif
#include "policy.c"

/* the contract's macros */
#ifndef PPO_POLICY_OBS_DIM
#error "PPO_EXPORT_CONTRACT: the file does not define PPO_POLICY_OBS_DIM"
#elif PPO_POLICY_OBS_DIM != PPO_DRIVER_OBS_DIM
#error "PPO_EXPORT_CONTRACT: PPO_POLICY_OBS_DIM is not the observation space's dim"
#endif
#ifndef PPO_POLICY_ACT_DIM
#error "PPO_EXPORT_CONTRACT: the file does not define PPO_POLICY_ACT_DIM"
#elif PPO_POLICY_ACT_DIM != PPO_DRIVER_ACT_DIM
#error "PPO_EXPORT_CONTRACT: PPO_POLICY_ACT_DIM is not the action size (1 for discrete, dim)"
#endif
#if PPO_DRIVER_KIND == 1
#ifndef PPO_POLICY_N_ACTIONS
#error "PPO_EXPORT_CONTRACT: a discrete policy's file does not define PPO_POLICY_N_ACTIONS"
#elif PPO_POLICY_N_ACTIONS != PPO_DRIVER_N_ACTIONS
#error "PPO_EXPORT_CONTRACT: PPO_POLICY_N_ACTIONS is not the action space's n"
#endif
#endif
#if PPO_DRIVER_KIND == 3 && !defined(PPO_POLICY_NVEC)
#error "PPO_EXPORT_CONTRACT: a multi-discrete policy's file does not define PPO_POLICY_NVEC"
#endif
#if PPO_DRIVER_UINT8 && !defined(PPO_POLICY_OBS_UINT8)
#error "PPO_EXPORT_CONTRACT: uint8 observations, but no PPO_POLICY_OBS_UINT8 in the file"
#elif !PPO_DRIVER_UINT8 && defined(PPO_POLICY_OBS_UINT8)
#error "PPO_EXPORT_CONTRACT: float32 observations, but the file defines PPO_POLICY_OBS_UINT8"
#endif
#if PPO_DRIVER_STATE_SIZE > 0
#ifndef PPO_POLICY_STATE_SIZE
#error "PPO_EXPORT_CONTRACT: a recurrent policy's file does not define PPO_POLICY_STATE_SIZE"
#elif PPO_POLICY_STATE_SIZE != PPO_DRIVER_STATE_SIZE
#error "PPO_EXPORT_CONTRACT: PPO_POLICY_STATE_SIZE is not the policy's state_size()"
#endif
#elif defined(PPO_POLICY_STATE_SIZE)
#error "PPO_EXPORT_CONTRACT: the policy has no state, but the file defines PPO_POLICY_STATE_SIZE"
#endif

int main(int argc, char **argv)
{
#if PPO_DRIVER_UINT8
    static unsigned char o[PPO_DRIVER_OBS_DIM];
#else
    static double o[PPO_DRIVER_OBS_DIM];
#endif
#if PPO_DRIVER_STATE_SIZE > 0
    static float state[PPO_DRIVER_STATE_SIZE];
#endif
#if PPO_DRIVER_KIND == 3
    static const int nvec[] = PPO_POLICY_NVEC, expect[] = PPO_DRIVER_NVEC;
#endif
    FILE *in, *out;
    int i, start;
    if (argc != 3)
        return 2;
#if PPO_DRIVER_KIND == 3
    if (sizeof(nvec) != sizeof(expect))
        return 3;
    for (i = 0; i < (int)(sizeof(nvec) / sizeof(nvec[0])); i++)
        if (nvec[i] != expect[i])
            return 3;
#if PPO_DRIVER_HEADER
    if (sizeof(ppo_driver_header_nvec) != sizeof(expect))
        return 3;
    for (i = 0; i < (int)(sizeof(expect) / sizeof(expect[0])); i++)
        if (ppo_driver_header_nvec[i] != expect[i])
            return 3;
#endif
#endif
    in = fopen(argv[1], "r");
    out = fopen(argv[2], "w");
    if (in == NULL || out == NULL)
        return 2;
    while (fscanf(in, "%d", &start) == 1) {
        for (i = 0; i < PPO_DRIVER_OBS_DIM; i++) {
#if PPO_DRIVER_UINT8
            unsigned int b;
            if (fscanf(in, "%u", &b) != 1 || b > 255)
                return 2;
            o[i] = (unsigned char)b;
#else
            if (fscanf(in, "%la", &o[i]) != 1)
                return 2;
#endif
        }
#if PPO_DRIVER_STATE_SIZE > 0
        if (start)
            ppo_policy_reset(state);
#define PPO_DRIVER_ARG_STATE , state
#else
#define PPO_DRIVER_ARG_STATE
        (void)start;
#endif
#if PPO_DRIVER_KIND == 1
        fprintf(out, "%d\n", ppo_policy_act(o PPO_DRIVER_ARG_STATE));
#elif PPO_DRIVER_KIND == 2
        {
            double action[PPO_DRIVER_ACT_DIM];
            ppo_policy_act(o, action PPO_DRIVER_ARG_STATE);
            for (i = 0; i < PPO_DRIVER_ACT_DIM; i++)
                fprintf(out, "%a%c", action[i], i + 1 < PPO_DRIVER_ACT_DIM ? ' ' : '\n');
        }
#else
        {
            int action[PPO_DRIVER_ACT_DIM];
            ppo_policy_act(o, action PPO_DRIVER_ARG_STATE);
            for (i = 0; i < PPO_DRIVER_ACT_DIM; i++)
                fprintf(out, "%d%c", action[i], i + 1 < PPO_DRIVER_ACT_DIM ? ' ' : '\n');
        }
#endif
    }
    if (!feof(in))
        return 2;
    return fclose(out) == 0 && fclose(in) == 0 ? 0 : 2;
}
