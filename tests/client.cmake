# Tests of the kueue client.
