/* C interface between udeflow and its ParaView Catalyst module (libudeflow_catalyst.so).
 * udeflow loads the module with dlopen only when a -catalyst_* option is given, so that
 * runs without in-situ visualization do not load ParaView's ~400 shared libraries (start-up
 * time on every rank, and a longer window in which a scheduler's signal finds no handler). */
#ifndef UDEFLOW_CATALYST_MODULE_H
#define UDEFLOW_CATALYST_MODULE_H
#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDE_CATALYST_ABI 1

/* One rank's piece of a DMDA state: cells [extent[2d], extent[2d+1]) of the global
 * [0, whole[d]) in dimension d (x first), values in the DMDA's local order (x fastest,
 * `dof` components interleaved). */
typedef struct {
  int dim, dof;
  int whole[3], lo[3], hi[3];
  double origin[3], spacing[3];
  const char* const* names; /* dof field names */
  const double* values;
  long long step;
  double time;
  int force;
  const char* run;
  const char* output;
} ude_catalyst_piece;

/* Returns a handle, or NULL with a message in err.  scripts: comma-separated Python
 * pipelines (may be empty); vti: add the built-in .pvti writer. */
typedef void* (*ude_catalyst_create_fn)(MPI_Comm comm, const char* scripts, int vti,
                                        long long every, const char* output, char* err, int errlen);
/* Runs the pipelines for this step if one asks for it: returns 1 if executed, 0 if not
 * requested, -1 on failure. */
typedef int (*ude_catalyst_execute_fn)(void* handle, const ude_catalyst_piece* piece);
typedef void (*ude_catalyst_destroy_fn)(void* handle);
typedef int (*ude_catalyst_abi_fn)(void);

#ifdef __cplusplus
}
#endif
#endif
