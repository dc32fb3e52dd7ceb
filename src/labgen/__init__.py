"""labgen: a typed LLM-lab spec rendered into a Kustomize + Argo CD App-of-Apps tree."""

__version__ = "0.1.0"
