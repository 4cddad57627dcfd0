package markmonitor

// Value lists of the Markmonitor SSL Certs API.
var (
	CertTypes = []string{
		"SSL_EV_BASIC", "SSL_OV_BASIC", "SSL_EV_SECURESITE", "SSL_OV_SECURESITE",
		"SSL_EV_SECURESITE_PRO", "SSL_OV_SECURESITE_PRO", "SSL_DV_GEOTRUST",
		"SSL_OV_GEOTRUST_TRUEBIZID", "SSL_EV_GEOTRUST_TRUEBIZID", "SSL_DV_THAWTE",
		"SSL_EV_THAWTE_WEBSERVER", "SSL_OV_THAWTE_WEBSERVER",
	}
	DCVMethods      = []string{"EMAIL", "DNS_CNAME_TOKEN", "HTTP_TOKEN", "DNS_TXT_TOKEN"}
	ContactTypes    = []string{"ORGANIZATION_CONTACT", "EXTENDED_VALIDATION_APPROVER"}
	Algorithms      = []string{"RSA", "ECC"}
	ServerPlatforms = []string{"APACHE", "NGINX", "DEFAULT", "MICROSOFT_IIS_10", "MICROSOFT_IIS_8", "MICROSOFT_IIS_7", "MICROSOFT_IIS_5_OR_6"}
	KeyTypes        = []string{"rsa-2048", "rsa-3072", "rsa-4096", "ecdsa-p256", "ecdsa-p384"}
	OrderStates     = []string{"present", "cancelled", "revoked"}
)
