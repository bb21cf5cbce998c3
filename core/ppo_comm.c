/* ppofw core — the communicator: single-process by default, Open MPI through comm_mpi.so when
 * launched by mpirun (see ppo_comm_private.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppo_comm_private.h"
#include "ppo_signal_private.h"

static ppo_comm_t single = {.rank = 0, .size = 1, .vt = NULL, .plugin = NULL};
static ppo_comm_t mpi;
static const ppo_comm_t *current;

const ppo_comm_t *ppo_comm_current(void)
{
    return current != NULL ? current : &single;
}

bool ppo_comm_launched_by_mpi(void)
{
    return g_getenv("OMPI_COMM_WORLD_SIZE") != NULL || g_getenv("PMI_SIZE") != NULL;
}

const ppo_comm_t *ppo_comm_get(const ppo_search_t *search, GError **error)
{
    if (current != NULL)
        return current;
    if (!ppo_comm_launched_by_mpi()) {
        current = &single;
        return current;
    }
    GError *local = NULL;
    ppo_plugin_t *p = ppo_plugin_load(search, "comm_mpi", NULL, &local);
    if (p == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "this process was launched by mpirun, but the MPI backend is not available: "
                    "%s; build ppofw with configure --with-mpi (Debian: apt-get install "
                    "libopenmpi-dev), or run without mpirun",
                    local->message);
        g_error_free(local);
        return NULL;
    }
    if (p->kind != PPO_KIND_COMM) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN, "%s: is not a comm backend", p->path);
        return NULL;
    }
    /* the loader copies no vtable for the core's own kind: use the plugin's, checked here */
    const ppo_comm_vtable_t *vt = p->raw_vtable;
    if (vt == NULL || vt->struct_size < offsetof(ppo_comm_vtable_t, reserved) || vt->init == NULL ||
        vt->allreduce_f32 == NULL || vt->allreduce_f64 == NULL || vt->allgather == NULL ||
        vt->broadcast == NULL || vt->abort == NULL || vt->finalize == NULL) {
        g_set_error(error, PPO_ERROR, PPO_ERROR_PLUGIN,
                    "%s: the comm backend's table is incomplete; rebuild ppofw", p->path);
        return NULL;
    }
    uint32_t rank = 0, size = 1;
    if (vt->init(&p->host, &rank, &size) != 0) {
        *error = ppo_plugin_error(p, "init", -1);
        return NULL;
    }
    mpi.rank = rank;
    mpi.size = size;
    mpi.vt = vt;
    mpi.plugin = p;
    current = &mpi;
    return current;
}

static void fail(const ppo_comm_t *comm, const char *what, int rc)
{
    char *why = ppo_host_take_error();
    fprintf(stderr, "ppofw: rank %u: %s failed (%d): %s; stopping every rank\n", comm->rank, what,
            rc, why != NULL ? why : "no reason given");
    g_free(why);
    /* an exit on purpose, with MPI's code */
    ppo_exit_guard_disarm();
    comm->vt->abort(PPO_EXIT_INTERNAL);
    abort();
}

void ppo_comm_allreduce_f32(const ppo_comm_t *comm, float *buf, size_t n)
{
    if (comm->vt == NULL || n == 0)
        return;
    int rc = comm->vt->allreduce_f32(buf, n);
    if (rc != 0)
        fail(comm, "allreduce", rc);
}

void ppo_comm_allreduce_f64(const ppo_comm_t *comm, double *buf, size_t n)
{
    if (comm->vt == NULL || n == 0)
        return;
    int rc = comm->vt->allreduce_f64(buf, n);
    if (rc != 0)
        fail(comm, "allreduce", rc);
}

void ppo_comm_allgather(const ppo_comm_t *comm, const void *send, void *recv, size_t n)
{
    if (comm->vt == NULL) {
        if (send != recv && n > 0)
            memcpy(recv, send, n);
        return;
    }
    int rc = comm->vt->allgather(send, recv, n);
    if (rc != 0)
        fail(comm, "allgather", rc);
}

void ppo_comm_broadcast(const ppo_comm_t *comm, void *buf, size_t n)
{
    if (comm->vt == NULL || n == 0)
        return;
    int rc = comm->vt->broadcast(buf, n);
    if (rc != 0)
        fail(comm, "broadcast", rc);
}

void ppo_comm_abort_on_error(const ppo_comm_t *comm, const GError *error)
{
    if (comm == NULL || comm->vt == NULL || comm->size <= 1)
        return;
    fprintf(stderr, "ppofw: rank %u: %s\nppofw: rank %u stops the whole job\n", comm->rank,
            error->message, comm->rank);
    fflush(stderr);
    ppo_exit_guard_disarm();
    comm->vt->abort(ppo_error_exit_code(error));
}

void ppo_comm_finalize(void)
{
    if (current != NULL && current->vt != NULL)
        current->vt->finalize();
}
