/* ppofw core — talking to the other processes of a data-parallel run.
 *
 * The core sees other processes only through this small interface: sums over all ranks of float
 * and double arrays, gathering equal-sized byte blocks from every rank, broadcast from rank 0,
 * and abort. The built-in backend is a single process (every operation is the identity). When the
 * process was launched by mpirun (OMPI_COMM_WORLD_SIZE or PMI_SIZE is set), the core loads the
 * Open MPI backend comm_mpi.so (built by configure --with-mpi) from the plugin search path; the
 * core itself never links MPI.
 *
 * Every call is collective: all ranks make it, in the same order, with the same sizes. Calls are
 * made from the main thread only.
 */
#ifndef PPO_COMM_PRIVATE_H
#define PPO_COMM_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "ppo_plugin_private.h"

/* The backend's table, exported by comm_mpi.so as the vtable of a PPO_KIND_COMM descriptor. */
typedef struct ppo_comm_vtable {
    uint32_t struct_size;
    uint32_t reserved0;
    /* Start the backend; fill this process's rank and the number of ranks. 0 or < 0 with
     * host->error. */
    int (*init)(const ppo_host_t *host, uint32_t *rank, uint32_t *size);
    /* buf (n) = the element-wise sum over ranks, on every rank. */
    int (*allreduce_f32)(float *buf, size_t n);
    int (*allreduce_f64)(double *buf, size_t n);
    /* recv (size * n bytes) = every rank's send (n bytes) in rank order, on every rank. */
    int (*allgather)(const void *send, void *recv, size_t n);
    /* buf (n bytes) = rank 0's buf, on every rank. */
    int (*broadcast)(void *buf, size_t n);
    /* Stop every rank of the job with this exit code (does not return). */
    void (*abort)(int code);
    /* Leave the job cleanly (after the last collective call). */
    void (*finalize)(void);
    void *reserved[8];
} ppo_comm_vtable_t;

typedef struct ppo_comm {
    uint32_t rank;                  /* this process, 0-based */
    uint32_t size;                  /* processes in the job */
    const ppo_comm_vtable_t *vt;    /* NULL for the single-process backend */
    const ppo_plugin_t *plugin;     /* the backend's plugin, or NULL */
} ppo_comm_t;

/* The communicator of this process: single-process unless launched by mpirun, in which case
 * comm_mpi.so is loaded and initialized (once; later calls return the same). (transfer none) */
PPO_INTERNAL const ppo_comm_t *ppo_comm_get(const ppo_search_t *search, GError **error);

/* The communicator ppo_comm_get made, or the single-process one when it was never called.
 * (transfer none) */
PPO_INTERNAL const ppo_comm_t *ppo_comm_current(void);

/* true when this process was launched by an MPI launcher. */
PPO_INTERNAL bool ppo_comm_launched_by_mpi(void);

/* Collectives; with one process they do nothing (or copy). Failures abort the job with a
 * message, since a rank that stops alone leaves the others waiting forever. */
PPO_INTERNAL void ppo_comm_allreduce_f32(const ppo_comm_t *comm, float *buf, size_t n);
PPO_INTERNAL void ppo_comm_allreduce_f64(const ppo_comm_t *comm, double *buf, size_t n);
PPO_INTERNAL void ppo_comm_allgather(const ppo_comm_t *comm, const void *send, void *recv,
                                     size_t n);
PPO_INTERNAL void ppo_comm_broadcast(const ppo_comm_t *comm, void *buf, size_t n);

/* Print the error (rank-prefixed) and stop the whole job with its exit code. Single process:
 * returns, and the caller exits as usual. */
PPO_INTERNAL void ppo_comm_abort_on_error(const ppo_comm_t *comm, const GError *error);

/* Leave the job (call once at exit). */
PPO_INTERNAL void ppo_comm_finalize(void);

#endif /* PPO_COMM_PRIVATE_H */
