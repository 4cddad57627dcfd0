#!/bin/bash


API_SERVER=https://api.quantil.com

USER=username

API_KEY="apikey"


DATE=`date "+%a, %d %b %Y %H:%M:%S %Z"`


passw=$(echo -n "$DATE" | openssl dgst -sha1 -hmac "$API_KEY" -binary | base64)


cert="-----BEGIN CERTIFICATE-----

The body of the certificate goes here.

-----END CERTIFICATE-----"



private_key=""-----BEGIN PRIVATE KEY-----  

The private key goes here

-----END PRIVATE KEY-----

"


chain_cert="-----BEGIN CERTIFICATE-----

The body of the chain cerificate goes here.

-----END CERTIFICATE-----"



# This function is used to encrypt the content that goes into the

# <ssl-certificate>, <ssl-key> and <ssl-certificate-chain> fields.

#

quantil_cert_enc() {

 STRING_TO_BE_ENCRYPTED=$1

 DATE_STRING=$2

 MD5=$(/bin/echo -n ${DATE_STRING} | openssl md5)

 MD5=${MD5#*=\ }

 #echo md5=$MD5

 key=${MD5:0:8}

 iv=${MD5:24:8}

 key=$(/bin/echo -n "${key}" |od -A n -t x1|sed s/\ //g)

 iv=$(/bin/echo -n "${iv}" |od -A n -t x1|sed s/\ //g)

 #echo key=${key} iv=${iv}

 /bin/echo -n "${STRING_TO_BE_ENCRYPTED}" | openssl des -e -nosalt -K ${key} -iv ${iv} -a

}


CERT_ENC=$(quantil_cert_enc "${cert}" "${DATE}")

KEY_ENC=$(quantil_cert_enc "${private_key}" "${DATE}")

CHAIN_ENC=$(quantil_cert_enc "${chain_cert}" "${DATE}" )


CERTIFICATE_ID=123   # change to your certificate ID


request="curl -i --url '${API_SERVER}/api/ssl/certificate/${CERTIFICATE_ID}'

                       -X PUT

                       -u $USER:$passw

                       -H 'Date: $DATE'

                       -H 'Accept: application/xml'

                       -H 'Content-Type: application/xml'

                       -d '<?xml version = \"1.0\" encoding = \"UTF-8\"?>

                       <ssl-certificate>

                       <name>{certificate name}</name>

                       <comment>{any comment you want}</comment>

                       <algorithm>des</algorithm>

                       <ssl-certificate>${CERT_ENC}</ssl-certificate>

                       <ssl-key>${KEY_ENC}</ssl-key>

                       </ssl-certificate>'"


eval $request
