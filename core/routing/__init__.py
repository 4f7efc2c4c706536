"""Routing rules (派单目录): which unit or level below a tenant's dispatcher sends an order to, by category and
division, kept as data per tenant and edited by its admin; the dispatch desk asks for the most specific one."""
