"""Pytest's header names the Keras backend, so CI's output shows which backend each run tested."""


def pytest_report_header(config):
    import keras

    return f"keras {keras.__version__}, backend: {keras.backend.backend()}"
