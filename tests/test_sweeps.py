"""Sweeps: grid order, per-model deduplication, numpy and Dask backends, chunk files, CLI axes."""

import importlib

import numpy as np
import pandas as pd
import pytest

import haplan
from haplan.export import csv_columns
from haplan.sweeps import grid, grid_size, parse_axis, sweep

metrics_module = importlib.import_module("haplan.table")


def test_grid_is_cartesian_first_axis_slowest():
    frame = grid(nodes=[3, 4], replicas=[1, 2, 3])
    assert frame["nodes"].tolist() == [3, 3, 3, 4, 4, 4]
    assert frame["replicas"].tolist() == [1, 2, 3, 1, 2, 3]
    assert grid_size(nodes=range(3, 21), replicas=[1, 2, 3], request_rate_rps=[100, 1000]) == 108


def test_sweep_rows_equal_metrics_of_each_scenario():
    table = sweep(nodes=[3, 5], replicas=[1, 2], request_rate_rps=[100.0, 250.0])
    assert len(table) == 8
    for _, row in table.iterrows():
        scenario = haplan.Scenario(
            nodes=int(row["nodes"]),
            replicas=row["replicas"],
            request_rate_rps=row["request_rate_rps"],
        )
        single = haplan.metrics(scenario).iloc[0]
        for name in haplan.METRIC_NAMES:
            if isinstance(single[name], str):
                assert row[name] == single[name], name
            else:
                np.testing.assert_allclose(row[name], single[name], rtol=1e-12, err_msg=name)


def test_a_model_is_evaluated_once_per_unique_combination_of_its_inputs(monkeypatch):
    calls = []

    def node_instance_product(columns):
        calls.append(len(columns["nodes"]))
        return {"probe": columns["nodes"] * 1000 + columns["instances"]}

    probe = metrics_module.MetricGroup(
        "probe", ("nodes", "instances"), ("probe",), node_instance_product
    )
    monkeypatch.setattr(metrics_module, "METRIC_GROUPS", [*metrics_module.METRIC_GROUPS, probe])
    table = sweep(
        nodes=[3, 4, 5], replicas=[1, 2], request_rate_rps=np.arange(1, 11), recovery_speed_s=[1, 2]
    )
    # 120 scenarios, but only 3 x 2 (nodes, instances) combinations reach the model, once.
    assert calls == [6]
    np.testing.assert_array_equal(table["probe"], table["nodes"] * 1000 + table["instances"])


def test_axes_are_checked_against_the_base_not_the_defaults():
    base = haplan.Scenario(nodes=6, instances=6, min_instances=4)
    table = sweep(repair_crews=[1, 2], zones=[1, 2, 3, 6], base=base)
    assert len(table) == 8 and (table["min_instances"] == 4).all()


def test_a_bad_combination_names_the_inputs():
    with pytest.raises(ValueError, match=r"min_instances=4 is out of range: must be <= instances"):
        sweep(nodes=[2, 6], base=haplan.Scenario(nodes=6, replicas=1, min_instances=4))


def test_chunking_does_not_change_numbers():
    whole = sweep(nodes=range(2, 9), replicas=[1, 2], request_rate_rps=[10, 20, 30])
    chunked = sweep(nodes=range(2, 9), replicas=[1, 2], request_rate_rps=[10, 20, 30], chunk_rows=5)
    pd.testing.assert_frame_equal(whole, chunked)


def test_dask_backend_gives_identical_numbers():
    distributed = pytest.importorskip("dask.distributed")
    axes = dict(nodes=range(2, 7), replicas=[1, 2], request_rate_rps=[10.0, 500.0])
    local = sweep(**axes)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1) as client:
        remote = sweep(**axes, backend="dask", client=client, chunk_rows=7)
    pd.testing.assert_frame_equal(local, remote)


def test_chunks_to_csv_files(tmp_path):
    files = sweep(nodes=range(1, 6), replicas=[1, 2], chunk_rows=4, out=tmp_path)
    assert len(files) == 3
    back = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    direct = sweep(nodes=range(1, 6), replicas=[1, 2]).reset_index(drop=True)
    # CSV names fractions with their unit (haplan.export.csv_columns)
    np.testing.assert_allclose(back["utilization_fraction"], direct["utilization"], rtol=1e-15)
    assert list(back.columns) == list(csv_columns(direct).columns)


def test_chunks_to_parquet_files(tmp_path):
    pytest.importorskip("pyarrow")
    files = sweep(
        nodes=range(1, 6), replicas=[1, 2], chunk_rows=6, out=tmp_path, file_format="parquet"
    )
    back = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    direct = sweep(nodes=range(1, 6), replicas=[1, 2]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, direct, check_dtype=False)


def test_lazy_dask_frame_computes_the_same_table():
    pytest.importorskip("dask.dataframe")
    lazy = sweep(nodes=range(2, 7), replicas=[1, 2], backend="dask", lazy=True, chunk_rows=4)
    assert lazy.npartitions == 3
    pd.testing.assert_frame_equal(
        lazy.compute(scheduler="synchronous"), sweep(nodes=range(2, 7), replicas=[1, 2])
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"speed": [1]}, r"sweep axis 'speed' is not an input"),
        ({"nodes": []}, r"sweep axis nodes=\[\] is empty"),
        ({"nodes": [3, 0]}, r"nodes=0 is out of range"),
        ({"nodes": [3], "replicas": [1], "instances": [3]}, r"not both"),
        ({}, r"needs at least one input"),
        ({"nodes": [3], "backend": "spark"}, r"backend='spark' is not known"),
        ({"nodes": [3], "lazy": True}, r"lazy=True needs backend='dask'"),
    ],
)
def test_sweep_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sweep(**kwargs)


@pytest.mark.parametrize(
    ("text", "integer", "expected"),
    [
        ("3:6", True, [3, 4, 5, 6]),
        ("1:10:3", True, [1, 4, 7, 10]),
        ("1,2,4", True, [1, 2, 4]),
        ("7", True, [7]),
        ("0.5:1.5:0.5", False, [0.5, 1.0, 1.5]),
        ("100,1000", False, [100.0, 1000.0]),
    ],
)
def test_parse_axis(text, integer, expected):
    assert parse_axis(text, integer=integer) == expected


@pytest.mark.parametrize("text", ["", "a:b", "5:3", "1:2:0", "1:2:3:4", "1.5,2"])
def test_parse_axis_errors(text):
    with pytest.raises(ValueError, match=r"axis .* is not valid"):
        parse_axis(text, integer=True)
