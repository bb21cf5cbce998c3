/* ppofw core — the PPO_ERROR domain and the mapping from error codes to exit codes. */
#include "config.h"

#include <signal.h>

#include "ppo_error_private.h"

static volatile sig_atomic_t interrupt_signal = SIGINT;

GQuark ppo_error_quark(void)
{
    return g_quark_from_static_string("ppo-error-quark");
}

void ppo_error_set_interrupt_signal(int signo)
{
    interrupt_signal = signo;
}

int ppo_error_exit_code(const GError *error)
{
    if (error == NULL)
        return PPO_EXIT_OK;
    if (error->domain != PPO_ERROR)
        return PPO_EXIT_INTERNAL;
    switch ((ppo_error_code_t)error->code) {
    case PPO_ERROR_USAGE:
    case PPO_ERROR_PIPELINE:
        return PPO_EXIT_USAGE;
    case PPO_ERROR_PLUGIN:
        return PPO_EXIT_PLUGIN;
    case PPO_ERROR_NUMERIC:
        return PPO_EXIT_NUMERIC;
    case PPO_ERROR_CHECKPOINT:
    case PPO_ERROR_IO:
        return PPO_EXIT_IO;
    case PPO_ERROR_INTERRUPTED:
        return interrupt_signal == SIGTERM ? PPO_EXIT_SIGTERM : PPO_EXIT_SIGINT;
    case PPO_ERROR_INTERNAL:
    default:
        return PPO_EXIT_INTERNAL;
    }
}
