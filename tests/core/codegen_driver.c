/* codegen_driver — the program tests/core/test_ppo_codegen.c builds around a file written with
 * libppofw's code-generation helpers: it reads observations and prints the file's box actions.
 *
 * Usage: codegen_driver IN OUT. IN holds CODEGEN_OBS_DIM elements per observation (hexadecimal
 * doubles, or integers with -DCODEGEN_UINT8); OUT gets CODEGEN_ACT_DIM hexadecimal doubles per
 * line. Plain C99. Left out: everything else.
 */
#include <stdio.h>

#ifdef CODEGEN_UINT8
void ppo_policy_act(const unsigned char *obs, double *action);
#else
void ppo_policy_act(const double *obs, double *action);
#endif

int main(int argc, char **argv)
{
#ifdef CODEGEN_UINT8
    unsigned char obs[CODEGEN_OBS_DIM];
    unsigned int b;
#else
    double obs[CODEGEN_OBS_DIM];
#endif
    double action[CODEGEN_ACT_DIM];
    FILE *in, *out;
    int i;
    if (argc != 3 || (in = fopen(argv[1], "r")) == NULL || (out = fopen(argv[2], "w")) == NULL)
        return 2;
    for (;;) {
        for (i = 0; i < CODEGEN_OBS_DIM; i++) {
#ifdef CODEGEN_UINT8
            if (fscanf(in, "%u", &b) != 1)
                return fclose(out) == 0 ? 0 : 2;
            obs[i] = (unsigned char)b;
#else
            if (fscanf(in, "%la", &obs[i]) != 1)
                return fclose(out) == 0 ? 0 : 2;
#endif
        }
        ppo_policy_act(obs, action);
        for (i = 0; i < CODEGEN_ACT_DIM; i++)
            fprintf(out, "%a%c", action[i], i + 1 < CODEGEN_ACT_DIM ? ' ' : '\n');
    }
}
