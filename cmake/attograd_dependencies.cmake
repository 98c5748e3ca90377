# Every dependency is a Debian 12 package (see scripts/dev.sh for the list).
set(BLA_VENDOR OpenBLAS)
find_package(xtensor REQUIRED)
find_package(BLAS REQUIRED)  # OpenBLAS, called only from core/kernels/blas.cpp
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(Threads REQUIRED)  # std::thread in core/kernels/parallel.cpp
