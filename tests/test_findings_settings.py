"""Every setting app.yaml names is one the app reads: no secret is created for nothing."""

import pathlib

import yaml

import config
import secret_settings

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_every_secret_app_yaml_names_is_a_setting_the_app_reads():
    env = yaml.safe_load((ROOT / "app.yaml").read_text())["env_variables"]
    read = config.from_environment({})
    for setting in [*secret_settings.named_secrets(env), *env]:
        assert setting in read or setting == "SECRET_MANAGER_SECRETS", f"app.yaml names {setting}, which nothing reads"
