# Tests of the Kueue-C protocol extensions across server, worker and client.
kq_integration_test(extensions test_extensions.py)
kq_integration_test(full_disk test_full_disk.py)
kq_integration_test(workflows test_workflows.py)
