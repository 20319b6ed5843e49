// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE, ...) are C macros over
// the addresses of library globals, which Swift cannot import: these functions return them.
// Everything else (MPI_Init_thread, MPI_Allreduce, MPI_Alltoallv, ...) Swift calls directly.
#ifndef RECOMMEND_CMPI_SHIM_H
#define RECOMMEND_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm recommend_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype recommend_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype recommend_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype recommend_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype recommend_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op recommend_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op recommend_mpi_max(void) { return MPI_MAX; }
static inline void *recommend_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int recommend_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline MPI_Errhandler recommend_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int recommend_mpi_success(void) { return MPI_SUCCESS; }
static inline int recommend_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
