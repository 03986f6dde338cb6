#!/bin/bash
for i in $(seq 300); do /work/wt/tls/build/src/client/kueue -c /tmp/tlsprof/c_auto.toml list-jobs > /dev/null; done
