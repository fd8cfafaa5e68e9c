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
#           bash .rustc/farm.sh mutants NAME SKIP FILE...   (background, -j 14)
#           bash .rustc/farm.sh wait SECONDS NAME           (results under $OUT/NAME)
#
# The mutated tree is `git archive HEAD` of the model alone (cli/ dropped from the workspace:
# only the model's tests judge). Tests run as `cargo test --tests`: no doctests (the model has
# none, and rustdoc does not travel; a first run that left them on counted every surviving
# mutant as caught when rustdoc was missing, see docs/reliability.md).
set -u
R=/tmp/rx
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
    mkdir -p "$w/src/.cargo"
    git -C "$root" archive HEAD Cargo.toml Cargo.lock model testvectors spec rtl | tar -x -C "$w/src"
    sed -i 's/members = \["model", "cli"\]/members = ["model"]/; s/default-members = \["cli"\]/default-members = ["model"]/' "$w/src/Cargo.toml"
    printf '\n[profile.mutants]\ninherits = "test"\nopt-level = 1\ndebug = 0\n' >>"$w/src/Cargo.toml"
    (cd "$w/src" && cargo vendor --offline ../vendor >/dev/null 2>&1)
    printf '[source.crates-io]\nreplace-with = "vendored-sources"\n\n[source.vendored-sources]\ndirectory = "%s/vendor"\n' "$R" >"$w/src/.cargo/config.toml"
    mkdir -p "$root/.rustc" && rm -f "$root"/.rustc/p0*
    (cd "$w" && tar -cf - rust | xz -9e -T2 | split -b 40M -d - "$root/.rustc/p")
    (cd "$w" && tar -cf - vendor src | xz -6 -T2 >"$root/.rustc/srcv.tar.xz")
    cp "$0" "$root/.rustc/farm.sh"
    rm -rf "$w"
    ls -la "$root/.rustc"
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
mutants) # NAME SKIP FILE...: SKIP is a test name to skip, or -
    name=$1 skip=$2
    shift 2
    export PATH=$R/rust/bin:$PATH
    args=(-p mxref-model --profile mutants --baseline skip --timeout 60 --build-timeout 300
        --cap-lints true -j 14 --copy-target true -o "$R/out/$name")
    for f in "$@"; do args+=(-f "$f"); done
    targs=(-- --tests)
    [ "$skip" != - ] && targs+=(-- --skip "$skip")
    mkdir -p "$R/out/$name"
    cd $R/src
    RUST_TEST_THREADS=1 MXREF_PROPTEST_CASES=2000 MXREF_VECTOR_CASES=60 \
        setsid nohup cargo mutants "${args[@]}" "${targs[@]}" >"$R/out/$name.log" 2>&1 </dev/null &
    echo "started $name"
    ;;
wait) # SECONDS NAME...: until the run ends or SECONDS pass, then poll
    t=$1 t0=$(date +%s)
    shift
    while pgrep -f cargo-mutants >/dev/null && [ $(($(date +%s) - t0)) -lt "$t" ]; do sleep 20; done
    bash "$0" poll "$@"
    ;;
poll)
    for name in "$@"; do
        d=$R/out/$name/mutants.out
        echo "== $name: caught $(wc -l <"$d/caught.txt") missed $(wc -l <"$d/missed.txt")" \
            "timeout $(wc -l <"$d/timeout.txt") unviable $(wc -l <"$d/unviable.txt")"
        mkdir -p "$OUT/$name" && cp "$d"/*.txt "$d/outcomes.json" "$OUT/$name/"
    done
    ;;
esac
