# Targets for SAM's makefile build method (stacks/*.yaml: `Metadata: BuildMethod: makefile`).
#
# `sam build` runs `make --makefile <CodeUri>/Makefile build-<LogicalId>` with ARTIFACTS_DIR set.
# CodeUri is the repository root (`..` in the nested templates under stacks/), whose Makefile
# includes this file; targets are named by logical id alone, whichever template declares the function; samconfig.toml sets
# `build_in_source = true`, so make runs in the repository itself instead of in a scratch copy of it
# (which would copy .venv and tools/ on every build). See docs/deploy.md.
#
# Every function ships the same package (functions/, audience/, schemas/ and the locked runtime
# dependencies); only the dotted Handler differs. Add each new function's logical id to LAMBDA_FUNCTIONS.

SAM_BUILD_SCRIPT := $(dir $(lastword $(MAKEFILE_LIST)))build_lambda.sh

# Every Lambda function in stacks/*.yaml (models, insights, activation ... share the one package).
LAMBDA_FUNCTIONS := IngestFunction InsightsFunction ValidateQueriesFunction ModelGateFunction \
	RecommendationsFunction JetstreamFunction

.PHONY: $(addprefix build-,$(LAMBDA_FUNCTIONS))

# $(UV) is the root Makefile's pinned uv (installed on demand); the script finds it there by default.
$(addprefix build-,$(LAMBDA_FUNCTIONS)): | $(UV)
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: run this through sam build" >&2; exit 1; }
	"$(SAM_BUILD_SCRIPT)" "$(ARTIFACTS_DIR)"

# The web UI (Explorer and other blueprints): the same package plus the `web` extra and D3.
.PHONY: build-WebFunction
build-WebFunction: | $(UV)
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: run this through sam build" >&2; exit 1; }
	LAMBDA_EXTRAS=web LAMBDA_WEB_VENDOR=1 LAMBDA_SLIM_PYARROW=1 "$(SAM_BUILD_SCRIPT)" "$(ARTIFACTS_DIR)"

# Segment post-processing: the same package plus the `activation` extra (pyarrow, slimmed), for the
# Arrow join of users with endpoints and the file writers.
# PrepareInteractionsFunction imports audience.activation.ports, which imports pyarrow: the same.
.PHONY: build-SegmentPostprocessFunction build-PrepareInteractionsFunction
build-SegmentPostprocessFunction build-PrepareInteractionsFunction: | $(UV)
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: run this through sam build" >&2; exit 1; }
	LAMBDA_EXTRAS=activation LAMBDA_SLIM_PYARROW=1 "$(SAM_BUILD_SCRIPT)" "$(ARTIFACTS_DIR)"

# The recommendations batch function (stacks/recommendations.yaml) and the influencer budget
# allocator (stacks/web.yaml): the package plus numpy and scipy.
.PHONY: build-RecommendBatchFunction build-InfluencerAllocateFunction
build-RecommendBatchFunction build-InfluencerAllocateFunction: | $(UV)
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: run this through sam build" >&2; exit 1; }
	LAMBDA_EXTRAS=recommend LAMBDA_SLIM_SCIPY=1 "$(SAM_BUILD_SCRIPT)" "$(ARTIFACTS_DIR)"
