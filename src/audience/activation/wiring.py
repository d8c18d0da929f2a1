"""Chooses the activation destination and the stores for the configured backend."""

from __future__ import annotations

from dataclasses import dataclass

from audience.activation.adapters.local.files import FileDestination
from audience.activation.ports import ActivationDestination, TextObjects
from audience.core.objectstore.ports import ObjectStore
from audience.core.objectstore.wiring import folder_store, lake_store
from audience.core.settings import ActivationSettings


@dataclass(frozen=True)
class ActivationPorts:
    lake: ObjectStore  # the job output and the endpoint mapping are read from here
    destination: ActivationDestination


def build_activation(settings: ActivationSettings) -> ActivationPorts:
    prefix = settings.activation_prefix.strip("/")
    lake = lake_store(settings)
    if settings.backend == "aws":
        bucket = settings.need("lake_bucket")
        destination: ActivationDestination
        if settings.activation_destination == "pinpoint":
            from audience.activation.adapters.aws.pinpoint import PinpointDestination

            destination = PinpointDestination(
                store=lake,
                bucket=bucket,
                prefix=f"{prefix}/pinpoint",
                application_id=settings.need("pinpoint_application_id"),
                role_arn=settings.need("pinpoint_import_role_arn"),
            )
        elif settings.activation_destination == "connect":
            from audience.activation.adapters.aws.customer_profiles import CustomerProfilesDestination

            destination = CustomerProfilesDestination(
                domain_name=settings.need("connect_domain_name"),
                data_expiry_days=settings.connect_data_expiry_days,
            )
        else:
            destination = FileDestination(lake, f"{prefix}/files", location=f"s3://{bucket}/{prefix}/files")
        return ActivationPorts(lake=lake, destination=destination)

    home = settings.home.resolve()
    # Locally every destination is the file export, under $AUDIENCE_HOME/activation/.
    return ActivationPorts(
        lake=lake,
        destination=FileDestination(
            folder_store(home / "activation"), "segments", location=str(home / "activation" / "segments")
        ),
    )


def lake_text_objects(settings: ActivationSettings) -> TextObjects:
    """The lake as text streams: S3 with multipart writes, or the local lake folder."""
    if settings.backend == "aws":
        from audience.activation.adapters.aws.s3_text import S3TextObjects

        if not settings.lake_bucket:
            raise RuntimeError("aws backend needs AUDIENCE_LAKE_BUCKET")
        return S3TextObjects(settings.lake_bucket)
    from audience.activation.adapters.local.folder_text import FolderTextObjects

    return FolderTextObjects(settings.home.resolve() / "lake")
