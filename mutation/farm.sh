#!/usr/bin/env bash
# cargo-mutants on a borrowed 16-CPU machine that has no Rust toolchain (the GPU host of
# cuda/device.sh): the toolchain, cargo-mutants and the vendored crates travel in parts of at
# most 40 MiB (the device tool carries <= 64 MiB per call, working tree included).
#
#   here:   mutation/farm.sh pack                 -> .rustc/{p00,p01,p02,srcv.tar.xz,farm.sh}
#   device: bash .rustc/farm.sh part p00          (one call per part, carry .rustc/pNN; calls
#           bash .rustc/farm.sh part p01           must follow each other within the machine's
#           bash .rustc/farm.sh part p02           idle release, or the parts are lost)
#           bash .rustc/farm.sh unpack            (carry .rustc/srcv.tar.xz)
#           bash .rustc/farm.sh mutants NAME TESTS FILE...  (background, -j 14)
#           bash .rustc/farm.sh recheck NAME                (background: NAME's missed
#                                                            mutants again, every test)
#           bash .rustc/farm.sh both NAME TESTS FILE...     (the two, one after the other)
#           bash .rustc/farm.sh queue FILE                  (many: see `queue` below)
#           bash .rustc/farm.sh wait SECONDS NAME           (results under $OUT/NAME)
#   here:   mutation/farm.sh packsrc              -> .rustc/srcv.tar.xz of HEAD alone (the
#                                                    toolchain parts are kept)
#
# TESTS is `-` for every test target, or a comma list of them (`lib` = the unit tests): a first
# pass with the few targets that see a file is fast, and what it catches every test catches too;
# `recheck` then runs all of them on what survived (by name, -F).
# SHARD=k/n runs the k-th of n round-robin shards. TIMEOUT (seconds, default 60) bounds each test run; JOBS (14) and FARM_ROOT (/tmp/rx) let the
# same steps run elsewhere.
#
# The mutated tree is `git archive HEAD` of the model alone (cli/ dropped from the workspace:
# only the model's tests judge). Tests run as `cargo test --tests`: no doctests (the model has
# none, and rustdoc does not travel; a first run that left them on counted every surviving
# mutant as caught when rustdoc was missing, see docs/reliability.md).
set -u
R=${FARM_ROOT:-/tmp/rx}
cmd=${1:?usage: farm.sh pack|part|unpack|mutants|wait|poll ...}
shift
case $cmd in
pack)
    root="$(cd "$(dirname "$0")/.." && pwd)"
    w=$(mktemp -d)
    S=$(rustc --print sysroot)
    L=lib/rustlib/x86_64-unknown-linux-gnu
    mkdir -p "$w/rust/bin" "$w/rust/$L/lib" "$w/rust/$L/bin/gcc-ld"
    cp "$S/bin/rustc" "$S/bin/cargo" "$(command -v cargo-mutants)" "$w/rust/bin/"
    cp -a "$S"/lib/libLLVM* "$S"/lib/librustc_driver* "$w/rust/lib/"
    cp "$S/$L/bin/rust-lld" "$w/rust/$L/bin/" && cp "$S/$L/bin/gcc-ld/ld.lld" "$w/rust/$L/bin/gcc-ld/"
    cp "$S/$L"/lib/*.rlib "$S/$L"/lib/*.rmeta "$w/rust/$L/lib/"
    rm -f "$w/rust/$L"/lib/libprofiler_builtins*
    mkdir -p "$root/.rustc" && rm -f "$root"/.rustc/p0*
    (cd "$w" && tar -cf - rust | xz -9e -T2 | split -b 40M -d - "$root/.rustc/p")
    rm -rf "$w"
    bash "$0" packsrc
    ls -la "$root/.rustc"
    ;;
packsrc)
    root="$(cd "$(dirname "$0")/.." && pwd)"
    w=$(mktemp -d)
    mkdir -p "$w/src/.cargo" "$root/.rustc"
    git -C "$root" archive HEAD Cargo.toml Cargo.lock model testvectors spec rtl | tar -x -C "$w/src"
    sed -i 's/members = \["model", "cli"\]/members = ["model"]/; s/default-members = \["cli"\]/default-members = ["model"]/' "$w/src/Cargo.toml"
    printf '\n[profile.mutants]\ninherits = "test"\nopt-level = 1\ndebug = 0\n' >>"$w/src/Cargo.toml"
    (cd "$w/src" && cargo vendor --offline ../vendor >/dev/null 2>&1)
    printf '[source.crates-io]\nreplace-with = "vendored-sources"\n\n[source.vendored-sources]\ndirectory = "%s/vendor"\n' "$R" >"$w/src/.cargo/config.toml"
    (cd "$w" && tar -cf - vendor src | xz -6 -T2 >"$root/.rustc/srcv.tar.xz")
    cp "$0" "$root/.rustc/farm.sh"
    rm -rf "$w"
    ;;
part)
    mkdir -p $R
    for p in "$@"; do cp ".rustc/$p" $R/ && echo "copied $p $(stat -c %s "$R/$p")"; done
    nproc
    ;;
unpack)
    cp .rustc/srcv.tar.xz $R/
    cd $R && rm -rf $R/src $R/out
    cat p0* | python3 -c "import sys,tarfile; tarfile.open(fileobj=sys.stdin.buffer, mode='r|xz').extractall('$R')"
    python3 -c "import tarfile; tarfile.open('srcv.tar.xz').extractall('$R')"
    export PATH=$R/rust/bin:$PATH
    rustc --version && cargo --version
    cd $R/src && cargo build --offline --tests -p mxref-model --profile mutants 2>&1 | tail -1
    ;;
mutants | recheck) # mutants NAME TESTS FILE... | recheck NAME
    name=$1
    export PATH=$R/rust/bin:$PATH
    args=(-p mxref-model --profile mutants --baseline skip --timeout "${TIMEOUT:-60}"
        --build-timeout 300 --cap-lints true ${SHARD:+--sharding round-robin --shard "$SHARD"} -j "${JOBS:-14}" --copy-target true -o "$R/out/$name")
    if [ "$cmd" = recheck ]; then
        # The first pass's survivors by name, every test target; its timeouts (>= TIMEOUT on a
        # suite that takes about a second) stay counted as caught.
        cp -r "$R/out/$name/mutants.out" "$R/out/$name/pass1"
        while IFS= read -r m; do
            args+=(-f "${m%%:*}" -F "^$(printf '%s' "$m" | sed 's/[][\\.^$*+?(){}|]/\\&/g')\$")
        done <"$R/out/$name/pass1/missed.txt"
        targs=(-- --tests)
    else
        tests=$2
        shift 2
        for f in "$@"; do args+=(-f "$f"); done
        if [ "$tests" = - ]; then
            targs=(-- --tests)
        else
            targs=(--)
            for t in ${tests//,/ }; do
                if [ "$t" = lib ]; then targs+=(--lib); else targs+=(--test "$t"); fi
            done
        fi
    fi
    mkdir -p "$R/out/$name"
    cd $R/src
    export RUST_TEST_THREADS=1 MXREF_PROPTEST_CASES=2000 MXREF_VECTOR_CASES=60
    if [ "${FG:-0}" = 1 ]; then
        cargo mutants "${args[@]}" "${targs[@]}" >"$R/out/$name.$cmd.log" 2>&1 </dev/null
    else
        setsid nohup cargo mutants "${args[@]}" "${targs[@]}" >"$R/out/$name.$cmd.log" 2>&1 </dev/null &
        echo "started $name"
    fi
    ;;
queue) # FILE: lines `NAME SHARD TESTS FILE...` (SHARD k/n or -): every first pass in order,
    # then every recheck (background; `wait SECONDS queue` follows it)
    mkdir -p "$R/out" && touch "$R/out/queue.running"
    q=$(realpath "$1")
    FG=1 setsid nohup bash -c '
        while read -r n sh t fs; do
            [ -z "$n" ] && continue
            if [ "$sh" = - ]; then SHARD= bash "$0" mutants "$n" "$t" $fs
            else SHARD=$sh bash "$0" mutants "$n" "$t" $fs; fi
            echo "pass 1 $n done $(date)"
        done <"$1"
        while read -r n _; do
            [ -z "$n" ] && continue
            TIMEOUT=${RECHECK_TIMEOUT:-90} bash "$0" recheck "$n"
            echo "recheck $n done $(date)"
        done <"$1"
        rm "'"$R/out/"'queue.running"' "$0" "$q" >"$R/out/queue.log" 2>&1 </dev/null &
    echo "started queue $q"
    ;;
both) # NAME TESTS FILE...: mutants with TESTS, then recheck with every test (background)
    mkdir -p "$R/out" && touch "$R/out/$1.running"
    FG=1 setsid nohup bash -c 'bash "$0" mutants "$@"; TIMEOUT=${RECHECK_TIMEOUT:-90} bash "$0" recheck "$1"; rm "'"$R/out/"'$1.running"' \
        "$0" "$@" >"$R/out/$1.both.log" 2>&1 </dev/null &
    echo "started $1 (both passes)"
    ;;
wait) # SECONDS NAME...: until the run ends or SECONDS pass, then poll
    t=$1 t0=$(date +%s)
    shift
    while { pgrep -f cargo-mutants >/dev/null || [ -e "$R/out/$1.running" ] || [ -e "$R/out/queue.running" ]; } && [ $(($(date +%s) - t0)) -lt "$t" ]; do sleep 20; done
    bash "$0" poll "$@"
    ;;
poll)
    [ -e "$R/out/queue.log" ] && cat "$R/out/queue.log"
    for name in "$@"; do
        [ -d "$R/out/$name/mutants.out" ] || continue
        d=$R/out/$name/mutants.out
        echo "== $name: caught $(wc -l <"$d/caught.txt") missed $(wc -l <"$d/missed.txt")" \
            "timeout $(wc -l <"$d/timeout.txt") unviable $(wc -l <"$d/unviable.txt")"
        mkdir -p "$OUT/$name" && cp "$d"/*.txt "$d/outcomes.json" "$OUT/$name/"
        [ -d "$R/out/$name/pass1" ] && mkdir -p "$OUT/$name/pass1" && cp "$R/out/$name/pass1"/*.txt "$R/out/$name/pass1/outcomes.json" "$OUT/$name/pass1/"
        tail -n 2 "$R/out/$name".*.log
    done
    ;;
esac
