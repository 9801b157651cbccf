"""Export, publication and loading of trained models on the Hugging Face Hub."""
