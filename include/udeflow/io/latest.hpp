#pragma once
/// \file latest.hpp
/// `-train_resume latest` / `-bsde_resume latest`: the newest training checkpoint of an
/// output directory, so that a requeued batch job continues where it was stopped and
/// a first run starts fresh with the same command line.
#include <petscsys.h>

#include <string>

namespace udeflow::io {

/// If `value` is "latest", sets *path to the newest file "<dir>/<stem>*.h5" (by
/// modification time; files still being written, *.partial, are ignored) or to ""
/// when there is none; otherwise *path = value.  Collective: rank 0 looks, all agree.
PetscErrorCode ResolveResume(MPI_Comm comm, const std::string& value, const std::string& dir,
                             const std::string& stem, std::string* path);

}  // namespace udeflow::io
