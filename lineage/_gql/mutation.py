"""Mutation root. Each mutation becomes OpenLineage events through the one translator.

They return a JSON summary (``events``, ``accepted``, ``duplicates``, ``runId``), so
the operations of the lineage guide, which select no fields, are valid as written.
"""

from __future__ import annotations

from typing import Optional

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from .types import Version


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record one run of a pipeline: the datasets it read and wrote "
                                     "('id' or 'id@version').")
    async def record_pipeline_execution(self, info: Info, pipeline_id: str, input_datasets: list[str],
                                        output_datasets: list[str], pipeline_version: Optional[Version] = None,
                                        pipeline_type: Optional[str] = None) -> JSON:
        return await info.context.write("recordPipelineExecution", lambda r: r.record_pipeline_execution(
            pipeline_id, pipeline_version, input_datasets, output_datasets, pipeline_type=pipeline_type))

    @strawberry.mutation(description="Record that targetDataset was promoted from sourceDataset by transformation.")
    async def record_dataset_promotion(self, info: Info, source_dataset: str, target_dataset: str,
                                       transformation: str) -> JSON:
        return await info.context.write("recordDatasetPromotion", lambda r: r.record_dataset_promotion(
            source_dataset, target_dataset, transformation))

    @strawberry.mutation(description="Record that a model version was trained on datasets "
                                     "('id@snapshot' pins the version used).")
    async def record_model_training(self, info: Info, model_name: str, model_version: Version,
                                    training_datasets: list[str], framework: Optional[str] = None,
                                    pipeline_id: Optional[str] = None,
                                    code_version: Optional[Version] = None) -> JSON:
        return await info.context.write("recordModelTraining", lambda r: r.record_model_training(
            model_name, model_version, training_datasets, framework=framework, pipeline_id=pipeline_id,
            code_version=code_version))

    @strawberry.mutation(description="Declare a dataset, its layer and its current version or snapshot.")
    async def add_dataset(self, info: Info, dataset_id: str, layer: Optional[str] = None,
                          version: Optional[Version] = None) -> JSON:
        return await info.context.write("addDataset", lambda r: r.add_dataset(dataset_id, layer, version))
