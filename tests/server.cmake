# Tests of kueue_server.
kq_unit_test(test_jobs SOURCES unit/test_jobs.c LIBS kueue_server_lib)
kq_unit_test(test_sched SOURCES unit/test_sched.c LIBS kueue_server_lib)
kq_unit_test(test_idset SOURCES unit/test_idset.c LIBS kueue_server_lib)
kq_integration_test(server_requests test_server_requests.py)
kq_integration_test(server_lifecycle test_server_lifecycle.py)
kq_integration_test(server_robustness test_server_robustness.py)
kq_integration_test(server_state test_server_state.py)
