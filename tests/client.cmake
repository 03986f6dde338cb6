# Tests of the kueue client and kueue_restart_workers.  Every name contains
# "client" so that `ctest -R client` runs exactly these.
kq_unit_test(test_client_print SOURCES unit/test_print.c LIBS kueue_client_lib)
kq_unit_test(test_client_cli SOURCES unit/test_cli.c LIBS kueue_client_lib)
kq_unit_test(test_client_follow SOURCES unit/test_follow.c LIBS kueue_client_lib)
kq_integration_test(client_commands test_client_commands.py)
kq_integration_test(client_wait test_client_wait.py)
kq_integration_test(client_batch test_client_batch.py)
kq_integration_test(client_complete test_client_complete.py)
kq_integration_test(client_restart_workers test_client_restart.py)
kq_integration_test(client_example test_client_example.py)
kq_integration_test(client_bye test_client_bye.py)
kq_integration_test(client_table test_client_table.py)
kq_integration_test(client_first_day test_client_first_day.py)
