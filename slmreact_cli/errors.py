"""Errors a user can fix. The CLI prints their message as one line and exits non-zero."""


class SlmreactError(Exception):
    """Base class: the message is shown to the user as is."""


class ConfigError(SlmreactError):
    """A profile, config file or flag is wrong."""


class ToolLoadError(SlmreactError):
    """A --tools module cannot be imported or exports nothing usable."""


class ModelError(SlmreactError):
    """A model cannot be found, assembled or loaded."""


class EngineUnavailable(ModelError):
    """The engine a profile asks for cannot run on this machine."""
