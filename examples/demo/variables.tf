variable "sim_url" {
  description = "Base URL of the Graph simulator, e.g. http://127.0.0.1:8080 (its Graph and token endpoints)."
  type        = string
}

variable "tenant_id" {
  description = "Tenant of the simulator's default app."
  type        = string
}

variable "client_id" {
  description = "Client ID of the simulator's default app."
  type        = string
}

variable "client_secret" {
  description = "Client secret of the simulator's default app."
  type        = string
  sensitive   = true
}

variable "partner_tenant_id" {
  description = "The partner tenant whose users are synchronized into the simulator's tenant."
  type        = string
}

variable "is_sync_allowed" {
  description = "Whether users are synchronized in from the partner; the demo's update sets it to false."
  type        = bool
  default     = true
}
