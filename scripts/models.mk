# The engagement and churn models (sagemaker/, src/audience/models/, docs/models.md).

.PHONY: models models-sourcedir models-upload

models: setup ## Build the training sets (local Spark), train, gate and score both models; LABEL_DAYS, LABEL_END
	@$(PY) -m audience.models train $(if $(LABEL_DAYS),--label-days $(LABEL_DAYS),) $(if $(LABEL_END),--label-end $(LABEL_END),)

# SageMaker's script mode downloads sagemaker_submit_directory (a tar.gz of the source folder).
models-sourcedir: ## Pack sagemaker/*.py into .aws-sam/models/sourcedir.tar.gz
	@mkdir -p .aws-sam/models
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -czf .aws-sam/models/sourcedir.tar.gz -C sagemaker $$(cd sagemaker && ls *.py)

# boto3 comes with the SAM CLI's environment; the bucket is the stack's ModelBucketName output.
models-upload: models-sourcedir setup-sam ## Upload the source folder to the deployed stack's model bucket
	@bucket=$$("$(SAM)" list stack-outputs --config-env $${CONFIG_ENV:-default} --output json | \
		"$(dir $(SAM))python" -c "import json,sys; print(next(o['OutputValue'] for o in json.load(sys.stdin) if o['OutputKey']=='ModelBucketName'))") && \
	"$(dir $(SAM))python" -c "import boto3,sys; boto3.client('s3').upload_file('.aws-sam/models/sourcedir.tar.gz', sys.argv[1], 'sagemaker/sourcedir.tar.gz')" "$$bucket" && \
	echo "uploaded sagemaker/sourcedir.tar.gz to s3://$$bucket"
