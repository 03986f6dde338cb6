# Tests of kueue_worker.
kq_unit_test(test_sysinfo SOURCES unit/test_sysinfo.c LIBS kueue_worker_lib)
kq_unit_test(test_resources SOURCES unit/test_resources.c LIBS kueue_worker_lib)
