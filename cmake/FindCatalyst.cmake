# FindCatalyst: ParaView's legacy Catalyst (vtkCPProcessor) from Debian's paraview-dev
# (ParaView 5.11).  Debian's ParaViewConfig.cmake pulls in many optional packages;
# linking the few Catalyst libraries directly is more robust.  Defines
# Catalyst::Catalyst (headers as SYSTEM includes) and Catalyst_VERSION.
find_path(Catalyst_INCLUDE_DIR vtkCPProcessor.h PATH_SUFFIXES paraview-5.11 paraview-5.10 paraview)
set(_catalyst_libs)
set(_catalyst_suffix)
if(Catalyst_INCLUDE_DIR MATCHES "paraview-([0-9]+\\.[0-9]+)")
  set(Catalyst_VERSION ${CMAKE_MATCH_1})
  set(_catalyst_suffix "-pv${CMAKE_MATCH_1}")
endif()
foreach(lib vtkPVPythonCatalyst vtkPVCatalyst vtkPVInSitu vtkIOParallelXML vtkIOXML vtkParallelMPI vtkParallelCore
            vtkCommonExecutionModel vtkCommonDataModel vtkCommonCore vtksys)
  find_library(Catalyst_${lib}_LIBRARY NAMES ${lib}${_catalyst_suffix} ${lib})
  if(Catalyst_${lib}_LIBRARY)
    list(APPEND _catalyst_libs ${Catalyst_${lib}_LIBRARY})
  endif()
endforeach()
# The Python Catalyst libraries need the interpreter library they were built with.
find_library(Catalyst_python_LIBRARY NAMES python3.11 python3.12 python3.10 python3)
if(Catalyst_python_LIBRARY)
  list(APPEND _catalyst_libs ${Catalyst_python_LIBRARY})
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Catalyst REQUIRED_VARS Catalyst_INCLUDE_DIR Catalyst_vtkPVCatalyst_LIBRARY
                                  Catalyst_vtkPVPythonCatalyst_LIBRARY Catalyst_vtkIOParallelXML_LIBRARY
                                  Catalyst_vtkParallelMPI_LIBRARY VERSION_VAR Catalyst_VERSION)
if(Catalyst_FOUND AND NOT TARGET Catalyst::Catalyst)
  add_library(Catalyst::Catalyst INTERFACE IMPORTED)
  set_target_properties(Catalyst::Catalyst PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${Catalyst_INCLUDE_DIR}"
                        INTERFACE_INCLUDE_DIRECTORIES "${Catalyst_INCLUDE_DIR}"
                        INTERFACE_LINK_LIBRARIES "${_catalyst_libs}")
endif()
