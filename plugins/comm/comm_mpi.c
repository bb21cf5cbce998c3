/* comm_mpi — the Open MPI backend of the core's communicator (core/ppo_comm_private.h).
 *
 * Built only by configure --with-mpi and loaded only when the process was started by mpirun.
 * Every call is a blocking collective on MPI_COMM_WORLD from the main thread. Left out:
 * anything but the few collectives PPO needs (no point-to-point messages, no communicators).
 */
#include "config.h"

#include <mpi.h>
#include <string.h>

#include "ppo_comm_private.h"

static const ppo_host_t *host;

static int check(int rc, const char *what)
{
    if (rc == MPI_SUCCESS)
        return 0;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    host->error(host, "%s: %.*s", what, len, text);
    return -1;
}

static int comm_init(const ppo_host_t *h, uint32_t *rank, uint32_t *size)
{
    host = h;
    int started = 0;
    MPI_Initialized(&started);
    if (!started) {
        int provided;
        /* collectives come from the main thread only; workers never call MPI */
        if (check(MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided), "MPI_Init") != 0)
            return -1;
    }
    int r = 0, s = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &s);
    *rank = (uint32_t)r;
    *size = (uint32_t)s;
    return 0;
}

/* MPI counts are int: split long buffers */
#define CHUNK ((size_t)1 << 30)

static int comm_allreduce_f32(float *buf, size_t n)
{
    for (size_t at = 0; at < n; at += CHUNK / sizeof(float)) {
        const size_t k = MIN(n - at, CHUNK / sizeof(float));
        if (check(MPI_Allreduce(MPI_IN_PLACE, buf + at, (int)k, MPI_FLOAT, MPI_SUM,
                                MPI_COMM_WORLD),
                  "MPI_Allreduce") != 0)
            return -1;
    }
    return 0;
}

static int comm_allreduce_f64(double *buf, size_t n)
{
    for (size_t at = 0; at < n; at += CHUNK / sizeof(double)) {
        const size_t k = MIN(n - at, CHUNK / sizeof(double));
        if (check(MPI_Allreduce(MPI_IN_PLACE, buf + at, (int)k, MPI_DOUBLE, MPI_SUM,
                                MPI_COMM_WORLD),
                  "MPI_Allreduce") != 0)
            return -1;
    }
    return 0;
}

static int comm_allgather(const void *send, void *recv, size_t n)
{
    if (n > (size_t)G_MAXINT) {
        host->error(host, "allgather of %zu bytes per rank is too large", n);
        return -1;
    }
    return check(MPI_Allgather(send, (int)n, MPI_BYTE, recv, (int)n, MPI_BYTE, MPI_COMM_WORLD),
                 "MPI_Allgather");
}

static int comm_broadcast(void *buf, size_t n)
{
    for (size_t at = 0; at < n; at += CHUNK) {
        const size_t k = MIN(n - at, CHUNK);
        if (check(MPI_Bcast((char *)buf + at, (int)k, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast") !=
            0)
            return -1;
    }
    return 0;
}

static void comm_abort(int code)
{
    MPI_Abort(MPI_COMM_WORLD, code);
}

static void comm_finalize(void)
{
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized)
        MPI_Finalize();
}

static const ppo_comm_vtable_t comm_mpi_vtable = {
    .struct_size = sizeof(ppo_comm_vtable_t),
    .init = comm_init,
    .allreduce_f32 = comm_allreduce_f32,
    .allreduce_f64 = comm_allreduce_f64,
    .allgather = comm_allgather,
    .broadcast = comm_broadcast,
    .abort = comm_abort,
    .finalize = comm_finalize,
};

PPO_PLUGIN_DEFINE(PPO_KIND_COMM, "comm_mpi", PPO_VERSION_STRING,
                  "data-parallel communication over Open MPI", NULL, 0, &comm_mpi_vtable)
