# Tests of kueue_worker.
kq_unit_test(test_sysinfo SOURCES unit/test_sysinfo.c LIBS kueue_worker_lib)
kq_unit_test(test_resources SOURCES unit/test_resources.c LIBS kueue_worker_lib)
kq_unit_test(test_worker_runner SOURCES unit/test_worker_runner.c LIBS kueue_worker_lib)
kq_unit_test(test_lifetime SOURCES unit/test_lifetime.c LIBS kueue_worker_lib)
kq_integration_test(worker test_worker.py)
kq_integration_test(worker_session test_worker_session.py)
kq_integration_test(worker_e2e test_worker_e2e.py)
kq_integration_test(worker_lifetime test_worker_lifetime.py)
