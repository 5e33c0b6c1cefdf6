DROP TABLE whatsapp_templates;
