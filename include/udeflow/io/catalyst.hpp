#pragma once
/// \file catalyst.hpp
/// In-situ visualization with ParaView Catalyst (legacy vtkCPProcessor API).
/// udeflow builds the adaptor only when CMake finds Catalyst (cmake/FindCatalyst.cmake);
/// otherwise -catalyst_script is refused with a clear message instead of being ignored.
#include <petscsys.h>

#include <string>

namespace udeflow::io {

/// Reads -catalyst_script <file.py>.  Without Catalyst support a given script is a
/// user error ("built without ParaView Catalyst").  Collective.
PetscErrorCode CatalystFromOptions(MPI_Comm comm, std::string* script);

}  // namespace udeflow::io
