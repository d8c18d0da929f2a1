#!/usr/bin/env bash
# Package the Lambda code into one folder: our three packages plus the locked runtime dependencies.
#
#   scripts/build_lambda.sh ARTIFACTS_DIR
#
# SAM's makefile builder calls this from `build-IngestFunction` (scripts/sam-build.mk) with its
# ARTIFACTS_DIR; it can also be run by hand. The result is what Lambda unzips into /var/task:
#
#   functions/   the handlers (dotted Handler paths, e.g. functions.ingest.app.handler)
#   audience/    the core package, from src/audience (never devhost/, the development host)
#   schemas/     the data contract, with schemas/generated/*.json
#   <deps>       [project].dependencies from uv.lock, as manylinux x86_64 wheels for CPython 3.13
#
# Nothing from the `local` extra or the dev group is installed, and no tests are copied.
set -euo pipefail

artifacts=${1:?usage: scripts/build_lambda.sh ARTIFACTS_DIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
uv=${UV:-$root/.tools/uv/bin/uv}
python=${AUDIENCE_PYTHON313:-$(command -v python3.13 || true)}
# Lambda's python3.13 runtime runs on Amazon Linux 2023 (glibc 2.34), x86_64.
platform=${LAMBDA_PYTHON_PLATFORM:-x86_64-manylinux_2_34}
python_version=3.13

die() { echo "build_lambda.sh: $*" >&2; exit 1; }

[[ -x $uv ]] || die "uv not found at $uv (run: make setup-sam)"
[[ -n $python ]] && "$python" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null \
    || die "python3.13 not found (install it: pyenv install 3.13, or set AUDIENCE_PYTHON313)"

mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)
# SAM hands over a fresh folder. Anything else is emptied first, so it must be an earlier package.
if [[ -n $(ls -A "$artifacts") ]]; then
    [[ -d $artifacts/functions && -d $artifacts/audience && -d $artifacts/schemas && $artifacts != "$root" ]] \
        || die "refusing to empty $artifacts: it is neither empty nor an earlier build of this package"
    find "$artifacts" -mindepth 1 -delete
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Runtime dependencies exactly as locked (hashes checked), wheels only, for Lambda's platform.
# LAMBDA_EXTRAS (space-separated optional-dependency groups of pyproject.toml) adds what one function
# needs beyond the runtime dependencies, e.g. `web` for WebFunction (Flask, apig-wsgi, numpy, pyarrow).
extras=()
for extra in ${LAMBDA_EXTRAS:-}; do extras+=(--extra "$extra"); done
(cd "$root" && "$uv" export --quiet --frozen --no-dev --no-emit-project --format requirements.txt \
    "${extras[@]}" --output-file "$work/requirements.txt")
"$uv" pip install --quiet --python "$python" --target "$artifacts" \
    --python-platform "$platform" --python-version "$python_version" \
    --only-binary :all: --no-deps --require-hashes --requirement "$work/requirements.txt"

# Console scripts point at the build machine's interpreter, and pycountry's translations (22 MB of
# gettext catalogues) are never used: the contract only looks up ISO 3166-1 alpha-2 codes.
rm -rf "$artifacts/bin" "$artifacts/pycountry/locales"

# LAMBDA_SLIM_PYARROW=1: pyarrow's wheel alone is 170 MB unzipped, and Lambda allows 250 MB in all.
# The web function only reads Parquet from bytes (pyarrow.parquet), so Flight, the S3/GCS/Azure/HDFS
# file systems, ORC, the C++ headers and tests go, and so do copies of libraries that exist only as
# unversioned names (the extensions link the .so.<major> files).
if [[ -n ${LAMBDA_SLIM_PYARROW:-} && -d $artifacts/pyarrow ]]; then
    (cd "$artifacts/pyarrow" && rm -rf tests include \
        libarrow_flight.so.* libarrow_python_flight.so* _flight.*.so \
        libarrow_s3.so.* _s3fs.*.so _gcsfs.*.so _azurefs.*.so _hdfs.*.so _orc.*.so _dataset_orc.*.so \
        _pyarrow_cpp_tests.*.so libarrow_python.so libarrow_python.so.*.*.* \
        libarrow_python_parquet_encryption.so libarrow_python_parquet_encryption.so.*.*.*)
fi

# LAMBDA_SLIM_SCIPY=1: numpy and scipy ship their test suites (about 48 MB unzipped), which would take
# the recommendations batch function over Lambda's 250 MB; nothing imports them at run time.
if [[ -n ${LAMBDA_SLIM_SCIPY:-} ]]; then
    for package in numpy scipy; do
        [[ -d $artifacts/$package ]] && find "$artifacts/$package" -depth -type d -name tests -exec rm -rf {} +
    done
fi

# 2. Our packages, without caches or tests.
copy_package() {  # copy_package SRC DEST [EXTRA_TAR_EXCLUDES...]
    local src=$1 dest=$2
    shift 2
    mkdir -p "$artifacts/$dest"
    (cd "$root/$src" && tar --create --exclude=__pycache__ --exclude='*.py[co]' --exclude=tests \
        --exclude=.mypy_cache --exclude=.pytest_cache "$@" .) | tar --extract --directory "$artifacts/$dest"
}
copy_package functions functions
# The local backend's stores and the data generator never run in Lambda (the development host,
# devhost/, is not copied at all). The rules writer, the file destination and the local model and
# runners stay, as before the move: some run in Lambda (the rules writer is Bedrock's fallback).
copy_package src/audience audience --exclude=./datagen --exclude=./ingest/adapters/local \
    --exclude=./core/objectstore/adapters/local.py --exclude=./core/sqlite.py \
    --exclude=./insights/adapters/local/duckdb_sql.py --exclude=./models/adapters/local/predictor.py
copy_package schemas schemas

# LAMBDA_WEB_VENDOR=1: the UI's npm libraries (D3), from node_modules as `npm ci` installed them, into
# the folder audience.web.vendor_dir() serves from when it is packaged (never a CDN).
if [[ -n ${LAMBDA_WEB_VENDOR:-} ]]; then
    d3=$root/node_modules/d3/dist/d3.min.js
    [[ -f $d3 ]] || die "$d3 is missing (run: make setup, which runs npm ci)"
    mkdir -p "$artifacts/audience/web/vendor/d3/dist"
    cp "$d3" "$artifacts/audience/web/vendor/d3/dist/d3.min.js"
fi

# 3. Byte-code compiled once, here, for 3.13: /var/task is read-only, so Lambda could never cache
# it and would recompile pydantic, botocore and the rest on every cold start. Hash-based .pyc files
# stay valid whatever mtimes the zip records. Each file records the path Lambda runs it from
# (/var/task/...), not this build folder: tracebacks name the deployed files, and the package does
# not depend on where it was built (.aws-sam/build/<Function> or <NestedApp>/<Function>).
"$python" -m compileall -q -j 0 --invalidation-mode unchecked-hash -s "$artifacts" -p /var/task "$artifacts" >/dev/null

# Lambda takes at most 250 MB unzipped (function and layers together): fail here, not at deploy time.
size_mb=$(du -sm "$artifacts" | cut -f1)
(( size_mb <= 250 )) || die "$artifacts is ${size_mb} MB unzipped; Lambda allows 250 MB"
echo "build_lambda.sh: packaged $(du -sh "$artifacts" | cut -f1) into $artifacts"
