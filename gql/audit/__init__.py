"""The operation log over the API: the recorder, the auditor's query and its downloads."""
